"""Writes the member spreadsheets the import tests read, with openpyxl (pip install openpyxl).

members_hoa_phu.xlsx: 100 new members for the villages Thôn 1 to Thôn 10 of Hòa Phú (24172),
    as a commune would send them: Vietnamese headers, labels with accents, some phone numbers
    typed into number cells (which drops the leading zero).
members_one_bad_row.xlsx: the same list with one bad phone number, on spreadsheet row 58.
"""
from openpyxl import Workbook

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô"]
GIVEN = [("Văn An", "Nam"), ("Thị Hoa", "Nữ"), ("Đức Minh", "Nam"), ("Thị Lan", "Nữ"),
         ("Quang Huy", "Nam"), ("Ngọc Anh", "Nữ"), ("Hữu Phúc", "Nam"), ("Thu Trang", "Nữ")]
FORCES = ["Công an", "Đoàn Thanh niên", "Hội Phụ nữ", "Hội Nông dân", "Cựu chiến binh",
          "Viễn thông", "Giáo viên", "Khác"]
HEADERS = ["STT", "Họ và tên", "Thôn", "Vai trò", "Lực lượng", "Số điện thoại", "Năm sinh",
           "Giới tính"]


def rows():
    for i in range(100):
        given, gender = GIVEN[i % len(GIVEN)]
        phone = f"09{(12345670 + i * 7919) % 100000000:08d}"
        # Every third number typed into a number cell, as spreadsheets often hold them.
        phone_cell = int(phone) if i % 3 == 0 else phone
        yield [i + 1, f"{FAMILY[i % len(FAMILY)]} {given}", f"Thôn {i % 10 + 1}",
               "Tổ phó" if i == 4 else "Thành viên", FORCES[i % len(FORCES)], phone_cell,
               1970 + i % 35, gender]


def write(path, bad_row=None):
    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    sheet.append(HEADERS)
    for n, row in enumerate(rows()):
        if n + 2 == bad_row:
            row[5] = "12345"
        sheet.append(row)
    book.save(path)


write("members_hoa_phu.xlsx")
write("members_one_bad_row.xlsx", bad_row=58)

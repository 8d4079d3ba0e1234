//! Unit tests of `limiter`.

use super::*;

fn guard() -> SignInGuard {
    SignInGuard::new(
        SignInRules {
            account_failures: 3,
            address_failures: 5,
            ..SignInRules::default()
        },
        None,
    )
}

#[test]
fn delays_double_up_to_the_ceiling() {
    let rules = SignInRules::default();
    assert_eq!(rules.delay(4, 5), None);
    assert_eq!(rules.delay(5, 5), Some(Duration::from_secs(5)));
    assert_eq!(rules.delay(6, 5), Some(Duration::from_secs(10)));
    assert_eq!(rules.delay(60, 5), Some(rules.max_delay));
}

#[tokio::test]
async fn an_account_locks_after_its_attempts_whatever_the_address() {
    let guard = guard();
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    let b: IpAddr = "10.0.0.2".parse().unwrap();
    for _ in 0..3 {
        guard.reserve("officer", Some(a)).await.unwrap();
        guard.settle("officer", Some(a), Outcome::Failed).await;
    }
    let Err(AppError::RateLimited {
        retry_after_secs, ..
    }) = guard.reserve("officer", Some(b)).await
    else {
        panic!("the account should be locked")
    };
    assert!((1..=5).contains(&retry_after_secs));
    assert!(guard.reserve("someone-else", Some(b)).await.is_ok());
}

#[tokio::test]
async fn attempts_made_at_once_are_counted_before_they_are_checked() {
    let guard = guard();
    // Nothing settled yet: the fourth is refused all the same.
    for _ in 0..3 {
        guard.reserve("officer", None).await.unwrap();
    }
    assert!(guard.reserve("officer", None).await.is_err());
}

#[tokio::test]
async fn an_address_locks_after_attempts_on_many_accounts() {
    let guard = guard();
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    for i in 0..5 {
        guard.reserve(&format!("user{i}"), Some(a)).await.unwrap();
        guard
            .settle(&format!("user{i}"), Some(a), Outcome::Failed)
            .await;
    }
    assert!(guard.reserve("fresh", Some(a)).await.is_err());
    assert!(guard.reserve("fresh", None).await.is_ok());
}

#[tokio::test]
async fn success_clears_the_account_and_uncounts_the_address() {
    let guard = guard();
    let a: IpAddr = "10.0.0.1".parse().unwrap();
    for _ in 0..2 {
        guard.reserve("officer", Some(a)).await.unwrap();
        guard.settle("officer", Some(a), Outcome::Failed).await;
    }
    guard.reserve("officer", Some(a)).await.unwrap();
    guard.settle("officer", Some(a), Outcome::Succeeded).await;
    for _ in 0..2 {
        guard.reserve("officer", Some(a)).await.unwrap();
        guard.settle("officer", Some(a), Outcome::Failed).await;
    }
    assert!(
        guard.reserve("officer", Some(a)).await.is_ok(),
        "two failures since"
    );
    guard.settle("officer", Some(a), Outcome::NotMade).await;
    // The address holds the four failures, not the success or the attempt not made.
    assert!(guard.reserve("other", Some(a)).await.is_ok());
    assert!(guard.reserve("other2", Some(a)).await.is_err());
}

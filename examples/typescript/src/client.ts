// A small typed client of the gateway: what a frontend writes on top of the generated types.
// `npm run check` regenerates the types from the committed schema and the contract's
// operations, then type-checks this file: a schema change that breaks it fails the build.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

import {
  LoginDocument,
  TeamsDocument,
  TotalsDocument,
  type TeamsQuery,
  type TeamRole,
} from './generated/graphql.js';

/** An error as the gateway answers it: a message and a stable code. */
export interface GatewayError {
  message: string;
  extensions: { code: string; field?: string; variable?: string };
}

export class GatewayFailure extends Error {
  constructor(
    readonly status: number,
    readonly errors: GatewayError[],
  ) {
    super(errors.map((e) => `${e.extensions.code}: ${e.message}`).join('; '));
  }
}

export class Gateway {
  private token: string | undefined;

  constructor(private readonly endpoint: string) {}

  async request<Data, Variables>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json;q=0.9',
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as { data?: Data | null; errors?: GatewayError[] };
    if (body.errors?.length || body.data == null) {
      throw new GatewayFailure(response.status, body.errors ?? []);
    }
    return body.data;
  }

  async signIn(username: string, password: string): Promise<Date> {
    const { login } = await this.request(LoginDocument, { username, password });
    this.token = login.token;
    return new Date(login.expiresAt);
  }
}

/** The leaders of the first page of teams under a unit, by village. */
export async function leadersByVillage(
  gateway: Gateway,
  unitCode: string,
): Promise<Map<string, string[]>> {
  const { teams } = await gateway.request(TeamsDocument, { unitCode, first: 100 });
  const leader: TeamRole = 'LEADER';
  const byVillage = new Map<string, string[]>();
  for (const team of teams.nodes) {
    const names = team.members.filter((m) => m.role === leader).map((m) => m.fullName);
    byVillage.set(team.unit.name, names);
  }
  return byVillage;
}

/** Teams and members of a unit and of each unit under it. */
export async function coverage(gateway: Gateway, unitCode: string): Promise<string[]> {
  const { totals } = await gateway.request(TotalsDocument, { unitCode });
  return totals.children.map(
    (child) => `${child.unit.name}: ${child.teams} teams, ${child.villagesWithTeam}/${child.villages} villages`,
  );
}

export type TeamNode = TeamsQuery['teams']['nodes'][number];

// GraphQL at /api/graphql: every query parsed and validated against @octokit/graphql-schema (and
// its variables coerced), then answered by a registered resolver or refused as unimplemented.
import {
  Kind,
  type GraphQLSchema,
  buildClientSchema,
  getVariableValues,
  parse,
  validate,
} from "graphql";
import type { IntrospectionQuery, OperationDefinitionNode } from "graphql";
import type { GraphQLContext, GraphQLResolver } from "./types.ts";

let schemaLoading: Promise<GraphQLSchema> | undefined;

/** Builds the schema once per process; the introspection JSON is about 10 MB. */
function loadSchema(): Promise<GraphQLSchema> {
  schemaLoading ??= import("@octokit/graphql-schema").then(({ schema }) =>
    buildClientSchema(schema.json as unknown as IntrospectionQuery),
  );
  return schemaLoading;
}

export interface GraphQLAnswer {
  body: { data?: unknown; errors?: Array<{ message: string; locations?: unknown }> };
  refused: boolean;
}

interface Registered {
  matcher: RegExp;
  resolver: GraphQLResolver;
}

export class GraphQLEndpoint {
  private readonly resolvers: Registered[] = [];

  register(matcher: RegExp, resolver: GraphQLResolver): void {
    this.resolvers.unshift({ matcher, resolver });
  }

  async answer(payload: unknown, context: GraphQLContext): Promise<GraphQLAnswer> {
    const request =
      typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {};
    const { query, variables } = request;
    if (typeof query !== "string")
      return refuse("A query attribute must be specified and must be a string.");
    const schema = await loadSchema();

    let document;
    try {
      document = parse(query);
    } catch (error) {
      if (error instanceof Error) return refuse(error.message);
      throw error;
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) {
      return { body: { errors: invalid.map((e) => e.toJSON()) }, refused: true };
    }
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operationName =
      typeof request.operationName === "string" ? request.operationName : undefined;
    const operation = operations.find((o) => !operationName || o.name?.value === operationName);
    if (!operation) return refuse(`Unknown operation named "${operationName ?? ""}".`);
    const inputs =
      typeof variables === "object" && variables !== null
        ? (variables as Record<string, unknown>)
        : {};
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
    if (coerced.errors)
      return { body: { errors: coerced.errors.map((e) => e.toJSON()) }, refused: true };

    const registered = this.resolvers.find((r) => {
      r.matcher.lastIndex = 0; // a /g or /y matcher must not carry state between requests
      return r.matcher.test(query);
    });
    if (!registered) {
      const name = operation.name?.value ?? "anonymous operation";
      return refuse(`fake GitHub does not implement the GraphQL ${operation.operation} ${name}`);
    }
    try {
      return { body: { data: await registered.resolver(inputs, query, context) }, refused: false };
    } catch (error) {
      if (error instanceof Error) return refuse(error.message);
      throw error;
    }
  }
}

function refuse(message: string): GraphQLAnswer {
  return { body: { errors: [{ message }] }, refused: true };
}

// Why a model cannot be used at all: both are decided before a run spends anything, and both
// say what the person reading them can change.

/** A model Stamina cannot start a run on; the message names the fix. */
export class ModelUnavailableError extends Error {
  constructor(
    readonly model: string,
    message: string,
  ) {
    super(message);
    this.name = "ModelUnavailableError";
  }
}

/** A model with no known price: Stamina will not spend on it blind. */
export class UnpricedModelError extends ModelUnavailableError {
  constructor(model: string) {
    super(
      model,
      `The model ${model} has no entry in Stamina's price table, so its spend cannot be counted against the budget; choose a listed model in .github/stamina.yml.`,
    );
    this.name = "UnpricedModelError";
  }
}

/** A model whose id on the configured provider (Bedrock, Vertex) Stamina does not know. */
export class UnmappedModelError extends ModelUnavailableError {
  constructor(model: string, provider: string, known: readonly string[]) {
    super(
      model,
      `Stamina does not know what ${provider} calls the model ${model}; choose one of ${known.join(", ")} in .github/stamina.yml, or have the operators name its ${provider} id in STAMINA_MODEL_IDS.`,
    );
    this.name = "UnmappedModelError";
  }
}

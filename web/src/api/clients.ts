import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { EmbeddingService } from "../../../gen/ts/agentos/embedding/v1/embedding_pb.js";
import { ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";

/** The typed clients the page uses, generated from the contracts in proto/. */
export interface Api {
  readonly model: Client<typeof ModelService>;
  readonly embedding: Client<typeof EmbeddingService>;
}

/**
 * Creates the clients over one transport. Switching the transport means calling this again.
 *
 * @example
 *   const api = createApi(createTransport("connect-json", location.origin));
 *   const { models } = await api.model.listModels({});
 */
export function createApi(transport: Transport): Api {
  return {
    model: createClient(ModelService, transport),
    embedding: createClient(EmbeddingService, transport),
  };
}

// PostGraphile 5 as the benchmark runs it: the amber preset over the public schema,
// no GraphiQL and no watch mode, i.e. the way it would be deployed.
// bench/servers.py sets DATABASE_URL and PORT.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      // Same pool size per process as ClinovaVet's default (CLINOVA_DB_POOL_SIZE).
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT ?? 5678), graphiql: false },
  grafast: { explain: false },
};

export default preset;

"""The shared resolvers: plain async functions that GraphQL and REST both call."""

// Finding a model in the catalog and keeping its deserialized form per backend, keyed by the
// version's unique id, so recommend() deserializes a version once, not per call.
#pragma once

#include <memory>
#include <string>

#include "core/recommender.hpp"
#include "pg/postgres.hpp"

namespace autorec::pg {

struct ModelRef {
  std::string name;
  int64_t version_id = 0;  // autorec.model_version.id, unique across all models
  int32_t version = 0;
};

// The current version of `name` (NULL = the default model). Runs with the caller's rights
// (row-level security on the catalog applies). Errors with a hint when it does not exist.
// Connects to SPI itself.
std::shared_ptr<const Recommender> current_model(const char* name, ModelRef* ref = nullptr);

// A model name argument, or nullptr for SQL NULL.
const char* model_arg(FunctionCallInfo fcinfo, int argno);

}  // namespace autorec::pg

// Looking families up by name. The list itself is src/core/models/families.cpp (compiled once
// per instruction-set level, see core/isa.hpp).
#include "core/registry.hpp"

#include "core/error.hpp"
#include "core/isa.hpp"
#include "core/options/options.hpp"

namespace autorec {

const std::vector<Family>& families() { return isa_families(); }

const Family& find_family(const std::string& algorithm) {
  for (const Family& f : families())
    if (algorithm == f.name) return f;
  std::string list;
  for (const Family& f : families()) list += (list.empty() ? "" : ", ") + std::string(f.name);
  throw Error(ErrorKind::InvalidParameter, "unknown algorithm \"" + algorithm + "\"",
              "Available algorithms: " + list + ".");
}

std::unique_ptr<Model> create_model(const std::string& algorithm, Options& options) {
  return find_family(algorithm).make(options);
}

std::vector<std::string> algorithm_names() {
  std::vector<std::string> out;
  for (const Family& f : families()) out.emplace_back(f.name);
  return out;
}

std::string algorithm_list(ScoreKind kind) {
  std::string list;
  for (const Family& f : families())
    if (f.scores == kind) list += (list.empty() ? "" : ", ") + std::string(f.name);
  return list;
}

}  // namespace autorec

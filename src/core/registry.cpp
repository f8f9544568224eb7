// Where each model family is made known: one line per algorithm.
#include "core/registry.hpp"

#include "core/models/autorec/autorec.hpp"
#include "core/models/baseline.hpp"
#include "core/models/content/content.hpp"
#include "core/models/knn/knn.hpp"
#include "core/models/svd/svd.hpp"
#include "core/options.hpp"

namespace autorec {
namespace {

using Factory = std::unique_ptr<Model> (*)(Options&);

struct Entry {
  const char* name;
  Factory make;
};

const Entry kAlgorithms[] = {
    {"baseline", [](Options&) -> std::unique_ptr<Model> { return std::make_unique<BaselineModel>(); }},
    {"knn", make_knn_model},
    {"svd", [](Options& o) -> std::unique_ptr<Model> { return std::make_unique<SvdModel>(SvdOptions::read(o)); }},
    {"autorec", [](Options& o) -> std::unique_ptr<Model> { return std::make_unique<AutoRecModel>(o); }},
    {"content", [](Options& o) -> std::unique_ptr<Model> { return std::make_unique<ContentModel>(ContentOptions::read(o)); }},
};

}  // namespace

std::unique_ptr<Model> create_model(const std::string& algorithm, Options& options) {
  for (const Entry& e : kAlgorithms)
    if (algorithm == e.name) return e.make(options);
  std::string list;
  for (const Entry& e : kAlgorithms) list += (list.empty() ? "" : ", ") + std::string(e.name);
  throw Error(ErrorKind::InvalidParameter, "unknown algorithm \"" + algorithm + "\"",
              "Available algorithms: " + list + ".");
}

std::vector<std::string> algorithm_names() {
  std::vector<std::string> out;
  for (const Entry& e : kAlgorithms) out.emplace_back(e.name);
  return out;
}

}  // namespace autorec

// The list of model families: one line each in models/families.cpp (name, factory, what its
// scores are, a one-line description). Nothing else in the generic code names a family.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace autorec {

class Options;

// Every family has the same factory: it creates an untrained model, reading (and so
// validating) its options. A family's model class has a constructor taking the Options,
// and make_model<ThatClass> is its factory.
using ModelFactory = std::unique_ptr<Model> (*)(Options&);

template <class M>
std::unique_ptr<Model> make_model(Options& options) {
  return std::make_unique<M>(options);
}

struct Family {
  const char* name;
  ModelFactory make;
  ScoreKind scores;         // Rating families need a rating column; Ranking ones take any input
  const char* description;  // one line, for autorec_algorithms() and error hints
};

// Every family, in registry order.
const std::vector<Family>& families();

// The family called `algorithm`; throws Error(InvalidParameter) listing the known ones.
const Family& find_family(const std::string& algorithm);

// Creates an untrained model of `algorithm`, reading (and so validating) its options.
// Throws Error(InvalidParameter) for an unknown algorithm.
std::unique_ptr<Model> create_model(const std::string& algorithm, Options& options);

std::vector<std::string> algorithm_names();

// The names of the families whose scores are of `kind`, comma-separated (for hints).
std::string algorithm_list(ScoreKind kind);

}  // namespace autorec

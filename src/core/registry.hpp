// The list of model families: algorithm name -> factory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace autorec {

class Options;

// Creates an untrained model of `algorithm`, reading (and so validating) its options.
// Throws Error(InvalidParameter) for an unknown algorithm.
std::unique_ptr<Model> create_model(const std::string& algorithm, Options& options);

std::vector<std::string> algorithm_names();

}  // namespace autorec

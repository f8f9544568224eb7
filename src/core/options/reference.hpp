// The option reference of every algorithm (autorec_options() in SQL, the README's option
// tables): generated from the parser itself, so it cannot drift. describe_options() configures
// the algorithm with empty options, records what each getter was asked for (OptionSpec: type,
// default, range or choices) and adds the one-line descriptions of options/reference.cpp's
// tables, keyed by name.
#pragma once

#include <string>
#include <vector>

#include "core/options/options.hpp"

namespace autorec {

struct OptionDescription {
  OptionSpec spec;
  // "" when the option is read whatever the other options say; else the settings under which
  // it is read, e.g. "method = als" or "method = sgd, svdpp".
  std::string applies;
  // The one-line description; where the default depends on a choice option, the other
  // defaults follow, e.g. "... (default 20 when method = als)".
  std::string description;
};

// Every option `algorithm` reads: its own (scope algorithm, in the order its configuration
// reads them), then the ones every training of its kind reads (scope training), then the
// source options. Options read only under some value of a choice option are found by
// configuring once more with each other value of each choice option. Throws the same
// Error as training for an unknown algorithm.
std::vector<OptionDescription> describe_options(const std::string& algorithm);

// The description tables, for the test that none is missing and none is orphaned: the names
// documented for `algorithm` alone, and those documented for every algorithm that reads them.
std::vector<std::string> documented_options(const std::string& algorithm);
std::vector<std::string> documented_common_options();

}  // namespace autorec

// Names of the activation functions, as options spell them.
#include "core/optim/activation.hpp"

#include "core/error.hpp"

namespace autorec {

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"identity", "sigmoid", "relu",
                                                 "tanh",     "elu",     "selu"};
  return names;
}

Activation activation_from_name(const std::string& name) {
  const auto& names = activation_names();
  for (size_t k = 0; k < names.size(); ++k)
    if (names[k] == name) return static_cast<Activation>(k);
  throw Error(ErrorKind::InvalidParameter, "unknown activation \"" + name + "\"");
}

}  // namespace autorec

// Training options: a JSON object parsed and validated in the core, so every model family
// reports unknown names and out-of-range values the same way.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace autorec {

// A parsed JSON value (only what options need: no nesting beyond arrays of scalars is used,
// but the parser accepts any JSON so that errors can name the option instead of the syntax).
struct JsonValue {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;

  static JsonValue parse(std::string_view text);  // throws Error(InvalidParameter)
  std::string dump() const;                       // compact JSON
};

class Options {
 public:
  Options() = default;
  static Options parse(std::string_view json);  // must be a JSON object

  // Typed getters: return the default when absent, throw an Error naming the option when
  // the value has the wrong type or is out of [lo, hi]. Each marks the name as known.
  double number(const std::string& name, double def, double lo, double hi);
  int64_t integer(const std::string& name, int64_t def, int64_t lo, int64_t hi);
  bool boolean(const std::string& name, bool def);
  std::string choice(const std::string& name, const std::string& def,
                     const std::vector<std::string>& allowed);
  std::vector<int64_t> integer_list(const std::string& name, const std::vector<int64_t>& def,
                                    int64_t lo, int64_t hi);
  std::string text(const std::string& name, const std::string& def);
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  // Throws for any option no getter asked for, listing the ones that were.
  void reject_unknown(const std::string& algorithm) const;

  std::string to_json() const;  // the options as given
  // Records a fact of the training with the options a model saves (a name no user option
  // has; read back with boolean()).
  void record(const std::string& name, bool value) {
    JsonValue v;
    v.type = JsonValue::Type::Bool;
    v.boolean = value;
    values_[name] = v;
    known_.insert(name);
  }
  const std::map<std::string, JsonValue>& values() const { return values_; }

 private:
  const JsonValue* find(const std::string& name);
  static std::vector<int64_t> integer_list_from(const std::string& name, const JsonValue& v,
                                                int64_t lo, int64_t hi);
  std::map<std::string, JsonValue> values_;
  std::set<std::string> known_;
};

}  // namespace autorec

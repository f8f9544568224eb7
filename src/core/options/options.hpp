// Training options: a JSON object parsed and validated in the core, so every model family
// reports unknown names and out-of-range values the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

// What a getter call tells about an option: its type, default and allowed values. Every getter
// records one (the first call per name; a later call fills in a default the first left unset),
// so the parser itself is the option reference: describe_options() (options/reference.hpp)
// configures a family with empty options and reads these back.
enum class OptionType { Number, Integer, Boolean, Choice, IntegerList, Text };
// Who reads the option: how the source is read (user_column...), every training of a family
// kind (seed, threads, rank_by...), or the family itself.
enum class OptionScope { Source, Training, Algorithm };

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::Number;
  OptionScope scope = OptionScope::Algorithm;
  JsonValue default_value;         // Null: unset unless given
  double lo = 0, hi = 0;           // Number, Integer, IntegerList
  std::vector<std::string> choices;  // Choice
};

const char* option_type_name(OptionType type);   // "number", "integer list", ...
const char* option_scope_name(OptionScope scope);  // "source", "training", "algorithm"
// The allowed values in words: "0 to 0.9", "sgd | als | svdpp", "any number"; "" for text.
std::string option_allowed(const OptionSpec& spec);

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
  // A number without a default: nullopt when absent (the spec's default is null).
  std::optional<double> optional_number(const std::string& name, double lo, double hi);
  // A string without a default: nullopt when absent (the spec's default is null).
  std::optional<std::string> optional_text(const std::string& name);
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

  // Which scope the next getter calls record (Recommender::configure and the source reader
  // set it).
  void set_scope(OptionScope scope) { scope_ = scope; }
  // Every option a getter was asked for, in the order of the first call.
  const std::vector<OptionSpec>& specs() const { return specs_; }
  // The effective options: every option a getter was asked for with the value it returned
  // (given, or the default; null for an unset option without a default), as a JSON object
  // sorted by name. Names starting with '_' (record()) are internal and left out.
  std::string effective_json() const;

 private:
  const JsonValue* find(const std::string& name);
  double number_unnoted(const std::string& name, double def, double lo, double hi);
  void note(OptionSpec spec, const JsonValue& value);
  static std::vector<int64_t> integer_list_from(const std::string& name, const JsonValue& v,
                                                int64_t lo, int64_t hi);
  std::map<std::string, JsonValue> values_;
  std::set<std::string> known_;
  OptionScope scope_ = OptionScope::Algorithm;
  std::vector<OptionSpec> specs_;
  std::map<std::string, JsonValue> effective_;
};

}  // namespace autorec

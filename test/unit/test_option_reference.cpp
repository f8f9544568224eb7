// Unit tests for the option reference (describe_options): every option a family reads is
// described, no description is orphaned, the described defaults are what configure uses, the
// described ranges are the ones enforced, and effective options reproduce a configuration.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/error.hpp"
#include "core/options/reference.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"
#include "core/options/source.hpp"

using namespace autorec;

namespace {

// What training does with options before it reads data (describing: content's need of a
// feature source is not checked).
std::unique_ptr<Recommender> configure(const std::string& algorithm, const std::string& json) {
  Options o = Options::parse(json);
  read_source_columns(o);
  return Recommender::configure(algorithm, std::move(o), true);
}

const OptionDescription* find(const std::vector<OptionDescription>& list, const std::string& name) {
  for (const OptionDescription& d : list)
    if (d.spec.name == name) return &d;
  return nullptr;
}

JsonValue effective(const std::string& algorithm, const std::string& json) {
  return JsonValue::parse(configure(algorithm, json)->effective_options_json());
}

const JsonValue* member(const JsonValue& obj, const std::string& name) {
  for (auto& [k, v] : obj.object)
    if (k == name) return &v;
  return nullptr;
}

// {"name": value} for every choice value of every choice option of the family, and {}.
std::vector<std::string> variants(const std::string& algorithm) {
  std::vector<std::string> out = {"{}"};
  for (const OptionDescription& d : describe_options(algorithm))
    if (d.spec.type == OptionType::Choice && d.applies.empty())
      for (const std::string& c : d.spec.choices)
        out.push_back("{\"" + d.spec.name + "\": \"" + c + "\"}");
  return out;
}

}  // namespace

TEST(OptionReference, EveryOptionOfEveryFamilyIsDescribed) {
  for (const std::string& algorithm : algorithm_names()) {
    SCOPED_TRACE(algorithm);
    const std::vector<OptionDescription> list = describe_options(algorithm);
    std::set<std::string> names;
    for (const OptionDescription& d : list) {
      EXPECT_TRUE(names.insert(d.spec.name).second) << "listed twice: " << d.spec.name;
      EXPECT_FALSE(d.description.empty()) << "no description for " << d.spec.name;
    }
    for (const char* common : {"user_column", "item_column", "rating_column", "weight_column",
                               "implicit", "min_rating", "time_column", "half_life_days", "seed",
                               "threads"})
      EXPECT_TRUE(names.count(common)) << common;
    const bool rating = find_family(algorithm).scores == ScoreKind::Rating;
    EXPECT_EQ(rating, names.count("rank_by") == 1);
    EXPECT_EQ(rating, names.count("rank_beta") == 1);
  }
}

TEST(OptionReference, NoDescriptionIsOrphaned) {
  std::set<std::string> read_by_some;
  for (const std::string& algorithm : algorithm_names()) {
    SCOPED_TRACE(algorithm);
    const std::vector<OptionDescription> list = describe_options(algorithm);
    for (const OptionDescription& d : list) read_by_some.insert(d.spec.name);
    for (const std::string& name : documented_options(algorithm))
      EXPECT_TRUE(find(list, name)) << "described but never read: " << name;
  }
  for (const std::string& name : documented_common_options())
    EXPECT_TRUE(read_by_some.count(name)) << "described but never read: " << name;
}

TEST(OptionReference, UnknownAlgorithmIsTrainingsError) {
  try {
    describe_options("nope");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "unknown algorithm \"nope\"");
    EXPECT_NE(e.hint().find("Available algorithms: baseline"), std::string::npos);
  }
}

TEST(OptionReference, ScopesAndConditions) {
  const auto svd = describe_options("svd");
  EXPECT_EQ(find(svd, "user_column")->spec.scope, OptionScope::Source);
  EXPECT_EQ(find(svd, "seed")->spec.scope, OptionScope::Training);
  EXPECT_EQ(find(svd, "baseline_epochs")->spec.scope, OptionScope::Training);
  EXPECT_EQ(find(svd, "factors")->spec.scope, OptionScope::Algorithm);
  EXPECT_EQ(svd.front().spec.name, "method");  // the family's own options come first
  EXPECT_EQ(find(svd, "cg_steps")->applies, "method = als");
  EXPECT_EQ(find(svd, "lr_yj")->applies, "method = svdpp");
  EXPECT_EQ(find(svd, "learning_rate")->applies, "method = sgd, svdpp");
  EXPECT_EQ(find(svd, "factors")->applies, "");
  EXPECT_EQ(option_allowed(find(svd, "method")->spec), "sgd | als | svdpp");
  EXPECT_EQ(option_allowed(find(svd, "validation_fraction")->spec), "0 to 0.5");
  EXPECT_EQ(option_allowed(find(svd, "min_rating")->spec), "any number");
  EXPECT_EQ(find(svd, "min_rating")->spec.default_value.type, JsonValue::Type::Null);

  const auto baseline = describe_options("baseline");
  EXPECT_EQ(find(baseline, "epochs")->spec.scope, OptionScope::Algorithm);
  EXPECT_FALSE(find(baseline, "baseline_epochs"));

  const auto knn = describe_options("knn");
  EXPECT_EQ(find(knn, "shrinkage")->applies, "similarity = pearson_baseline");
  EXPECT_EQ(find(knn, "damping")->applies, "predictor = means, zscore, baseline");

  // A default that depends on a choice says so.
  const auto autorec = describe_options("autorec");
  EXPECT_NE(find(autorec, "residual")->description.find("default false when decoder = sigmoid"),
            std::string::npos)
      << find(autorec, "residual")->description;
  EXPECT_NE(find(autorec, "epochs")->description.find("when optimizer = "), std::string::npos);

  // Read by the source and by the family: the family's default.
  EXPECT_EQ(find(describe_options("itemknn"), "min_rating")->spec.default_value.number, 4);
  EXPECT_EQ(find(describe_options("ease"), "lambda")->spec.default_value.type,
            JsonValue::Type::Null);  // follows the data
}

// The described defaults are the values the configuration takes when nothing is given.
TEST(OptionReference, DefaultsAreWhatConfigureUses) {
  int compared = 0;
  for (const std::string& algorithm : algorithm_names()) {
    SCOPED_TRACE(algorithm);
    const JsonValue e = effective(algorithm, "{}");
    for (const OptionDescription& d : describe_options(algorithm)) {
      const JsonValue* v = member(e, d.spec.name);
      if (!v) {  // not read by the default configuration: only under other settings
        EXPECT_FALSE(d.applies.empty()) << d.spec.name;
        continue;
      }
      EXPECT_EQ(v->dump(), d.spec.default_value.dump()) << d.spec.name;
      ++compared;
    }
  }
  EXPECT_GT(compared, 150);
  // Not read by default: cg_steps is for method als only.
  EXPECT_FALSE(member(effective("svd", "{}"), "cg_steps"));
}

// Out of the described range (or not a described choice): an error naming the option.
TEST(OptionReference, DescribedRangesAreEnforced) {
  int checked = 0;
  for (const std::string& algorithm : algorithm_names()) {
    for (const OptionDescription& d : describe_options(algorithm)) {
      if (!d.applies.empty()) continue;
      std::vector<std::string> bad;
      const OptionSpec& s = d.spec;
      auto num = [](double x) { return JsonValue::parse(std::to_string(x)).dump(); };
      switch (s.type) {
        case OptionType::Number:
        case OptionType::Integer:
          if (s.lo > -1e29) bad.push_back(num(s.lo - 1));
          if (s.hi < 1e29) bad.push_back(num(s.hi + 1));
          break;
        case OptionType::IntegerList:
          bad.push_back("[" + num(s.lo - 1) + "]");
          break;
        case OptionType::Choice: bad.push_back("\"no_such_value\""); break;
        case OptionType::Boolean: bad.push_back("\"yes\""); break;
        case OptionType::Text: bad.push_back("12"); break;
      }
      for (const std::string& value : bad) {
        SCOPED_TRACE(algorithm + ": " + s.name + " = " + value);
        try {
          configure(algorithm, "{\"" + s.name + "\": " + value + "}");
          ADD_FAILURE() << "accepted";
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("\"" + s.name + "\""), std::string::npos)
              << e.what();
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 150);
}

// Effective options given back as options configure the same model, for every setting of
// every choice option (they are complete: every default is resolved).
TEST(OptionReference, EffectiveOptionsReproduceTheConfiguration) {
  for (const std::string& algorithm : algorithm_names())
    for (const std::string& given : variants(algorithm)) {
      SCOPED_TRACE(algorithm + " " + given);
      std::string first;
      try {
        first = configure(algorithm, given)->effective_options_json();
      } catch (const Error&) {
        continue;  // a setting that needs other options too
      }
      EXPECT_EQ(configure(algorithm, first)->effective_options_json(), first);
    }
  // Given values are kept as given; internal records stay out.
  const JsonValue e = effective("svd", "{\"method\": \"als\", \"factors\": 7}");
  EXPECT_EQ(member(e, "factors")->number, 7);
  EXPECT_EQ(member(e, "method")->string, "als");
  EXPECT_FALSE(member(e, "lr_bu"));
  EXPECT_TRUE(member(e, "cg_steps"));
  // Unset source columns stay unset (a ranking family reads a source without ratings as
  // interactions; "rating_column": "rating" would require the column).
  EXPECT_EQ(member(e, "rating_column")->type, JsonValue::Type::Null);
  EXPECT_EQ(member(e, "weight_column")->type, JsonValue::Type::Null);
  EXPECT_EQ(member(effective("ease", "{\"rating_column\": \"stars\"}"), "rating_column")->string,
            "stars");
}

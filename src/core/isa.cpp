// Chooses the instruction-set level of the model families (see isa.hpp). The variants exist
// only in a portable x86-64 build: the build defines AUTOREC_ISA_<level> for each one it links
// (buildflags.mk, ISA_VARIANTS).
#include "core/isa.hpp"

#include <atomic>
#include <cstdlib>

#include "core/error.hpp"

namespace autorec {

// Each copy's entry point: src/core/models/families.cpp, compiled once per level.
const std::vector<Family>& families_default();
#ifdef AUTOREC_ISA_x86_64_v3
const std::vector<Family>& families_x86_64_v3();
#endif
#ifdef AUTOREC_ISA_x86_64_v4
const std::vector<Family>& families_x86_64_v4();
#endif

namespace {

struct Level {
  const char* name;
  const std::vector<Family>& (*families)();
  bool (*supported)();
};

// Best first. __builtin_cpu_supports checks the CPU and that the OS saves the AVX state.
const Level kLevels[] = {
#ifdef AUTOREC_ISA_x86_64_v4
    {"x86-64-v4", families_x86_64_v4,
     [] {
       __builtin_cpu_init();
       return __builtin_cpu_supports("x86-64-v4") > 0;
     }},
#endif
#ifdef AUTOREC_ISA_x86_64_v3
    {"x86-64-v3", families_x86_64_v3,
     [] {
       __builtin_cpu_init();
       return __builtin_cpu_supports("x86-64-v3") > 0;
     }},
#endif
    {"default", families_default, [] { return true; }},
};

std::atomic<const Level*> g_level{nullptr};

std::string level_names() {
  std::string list;
  for (const Level& l : kLevels) list += (list.empty() ? "" : ", ") + std::string(l.name);
  return list;
}

const Level& find_level(const std::string& name) {
  for (const Level& l : kLevels) {
    if (name != l.name) continue;
    if (!l.supported())
      throw Error(ErrorKind::NotSupported,
                  "instruction-set level \"" + name + "\" is not supported by this CPU",
                  "Levels of this library: " + level_names() + ".");
    return l;
  }
  throw Error(ErrorKind::InvalidParameter,
              "unknown instruction-set level \"" + name + "\" (AUTOREC_ISA)",
              "Levels of this library: " + level_names() + ".");
}

const Level& current() {
  const Level* l = g_level.load(std::memory_order_acquire);
  if (l) return *l;
  const char* forced = std::getenv("AUTOREC_ISA");
  if (forced && *forced) {
    l = &find_level(forced);
  } else {
    for (const Level& c : kLevels)
      if (c.supported()) {
        l = &c;
        break;
      }
  }
  g_level.store(l, std::memory_order_release);  // two threads may race here: same answer
  return *l;
}

}  // namespace

const std::vector<Family>& isa_families() { return current().families(); }

std::string isa_level() { return current().name; }

std::vector<std::string> isa_levels() {
  std::vector<std::string> out;
  for (const Level& l : kLevels)
    if (l.supported()) out.emplace_back(l.name);
  return out;
}

void set_isa_level(const std::string& level) {
  g_level.store(&find_level(level), std::memory_order_release);
}

}  // namespace autorec

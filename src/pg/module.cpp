// The extension's entry: module magic and the configuration parameters (GUCs).
#include <unistd.h>

#include <climits>
#include <cstdio>

#include "core/error.hpp"
#include "core/model.hpp"
#include "pg/guard.hpp"
#include "pg/postgres.hpp"
#include "pg/settings.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace autorec::pg {

int max_training_memory_kb = -1;
int max_training_threads = 0;

int default_max_training_memory_kb() {
  long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 1024 * 1024;  // unknown machine: 1 GB
  long long kb = static_cast<long long>(pages) * page_size / 1024 / 4;
  kb = kb / 1024 * 1024;  // whole megabytes, so that SHOW prints it in MB
  if (kb > INT_MAX / 1024 * 1024) kb = INT_MAX / 1024 * 1024;
  if (kb < 64 * 1024) kb = 64 * 1024;
  return static_cast<int>(kb);
}

namespace {

std::string human_bytes(size_t bytes) {
  char buf[64];
  if (bytes < 10ull << 20)
    snprintf(buf, sizeof buf, "%zu kB", (bytes + 1023) >> 10);
  else if (bytes < 10ull << 30)
    snprintf(buf, sizeof buf, "%zu MB", static_cast<size_t>((bytes + (1 << 20) - 1) >> 20));
  else
    snprintf(buf, sizeof buf, "%zu GB", static_cast<size_t>((bytes + (1ull << 30) - 1) >> 30));
  return buf;
}

}  // namespace

void check_training_memory(const char* label, size_t estimated_bytes, const Model* model) {
  if (max_training_memory_kb < 0) return;
  const size_t budget = static_cast<size_t>(max_training_memory_kb) * 1024;
  if (estimated_bytes <= budget) return;
  std::string setting = pg_call([]() -> std::string {
    return GetConfigOptionByName("autorec.max_training_memory", nullptr, false);
  });
  std::string hint = model ? model->memory_hint(budget) : std::string();
  if (hint.empty())
    hint = "Raise autorec.max_training_memory (superuser: SET, ALTER ROLE ... SET or "
           "postgresql.conf), or shrink the model: fewer factors, hidden units or neighbours, "
           "or fewer users and items in the source.";
  throw Error(ErrorKind::ResourceLimit,
              std::string(label) + " needs an estimated " + human_bytes(estimated_bytes) +
                  " of memory, more than autorec.max_training_memory (" + setting + ")",
              hint);
}

}  // namespace autorec::pg

void _PG_init(void) {
  autorec::pg::max_training_memory_kb = autorec::pg::default_max_training_memory_kb();
  DefineCustomIntVariable(
      "autorec.max_training_memory",
      "Largest estimated memory a model training may use; larger trainings fail before "
      "allocating.",
      "-1 means no limit. The default is a quarter of the machine's physical memory.",
      &autorec::pg::max_training_memory_kb, autorec::pg::max_training_memory_kb, -1, INT_MAX,
      PGC_SUSET, GUC_UNIT_KB, nullptr, nullptr, nullptr);
  // PGC_SUSET, like max_training_memory: a superuser's cap (postgresql.conf, or ALTER ROLE /
  // ALTER DATABASE ... SET, e.g. for the role pg_cron jobs run as) that the training's own
  // role cannot raise; the option "threads" can only ask for fewer.
  DefineCustomIntVariable(
      "autorec.max_training_threads",
      "Most threads one model training or evaluation runs on.",
      "0 means no cap: every core (or the option threads). The option threads asks for fewer, "
      "never more.",
      &autorec::pg::max_training_threads, 0, 0, 1024, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("autorec");
}

// The extension's configuration parameters (GUCs), defined in _PG_init (src/pg/module.cpp).
#pragma once

#include <cstddef>

namespace autorec {
class Model;
}

namespace autorec::pg {

// autorec.max_training_memory, in kB; -1 means no limit.
extern int max_training_memory_kb;

// autorec.max_training_threads: the most threads one training or evaluation runs on; 0 means
// no cap (every core).
extern int max_training_threads;

// The default: a quarter of the machine's physical memory (sysconf), in kB.
int default_max_training_memory_kb();

// Throws Error(ResourceLimit) with the estimate and a hint when `estimated_bytes` exceeds
// autorec.max_training_memory. `label` names the training ("autorec_train(model)"); the hint is
// the model's memory_hint() when it has one.
void check_training_memory(const char* label, size_t estimated_bytes, const Model* model);

}  // namespace autorec::pg

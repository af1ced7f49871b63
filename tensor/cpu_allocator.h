// CPU memory for tensor storage. Blocks of 1 MiB and more are kept when freed and handed out
// again for the next request of the same size class: a training or evaluation loop allocates
// the same activations every batch, and fresh pages from the system cost a page fault and
// zeroing in the kernel each time (a quarter of a training run's time before this cache).
// Size classes: four per power of two, so a block is at most 25% larger than asked. The cache
// holds at most BERTOLOGY_CPU_CACHE_MB MiB (default 1024; 0 turns it off); beyond that freed
// blocks go back to the system.
#pragma once
#include <cstddef>

namespace bertology {

void* cpu_allocate(size_t nbytes);  // 64-byte aligned; throws Error when out of memory
void cpu_release(void* p);

size_t cpu_cached_bytes();  // held in the cache, not in use
void cpu_empty_cache();     // returns every cached block to the system

}  // namespace bertology

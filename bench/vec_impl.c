/* vec_impl.c - the llmspell_kv + llmspell_vec implementation in its own C translation unit,
   linked with the C++ benchmark bench/bench_vec.cpp (which only sees the declarations).
   Built with the same flags as the bench: -O2 -DNDEBUG, no -march (the kernels dispatch at
   run time). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "../llmspell_vec.h"

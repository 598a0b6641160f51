/* tests/split: one program, three files, different limits in each (see main.c). This file
   implements kv and vec with limits larger than the defaults, "where the headers say options
   go". */
#define LLMSPELL_KV_MAX_KEY 8192
#define LLMSPELL_VEC_MAX_ID 1024
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_vec.h"

/* tests/msvc/cl_predef.h: the cl.exe emulation of tests/msvc_check.sh puts this in each
   translation unit after the system headers and before the llmspell headers, after
   $OUT/cl_undef_<lang>.h, which the script generates: #undef of every macro clang predefines
   that cl.exe (x64, VS 2022, no /arch, no /Zc:__cplusplus) does not -- __clang__, __x86_64__,
   __SSE2__ .. __AVX512*__ (the features are enabled on the command line, so every intrinsic can
   be called from any function as with cl.exe, but their macros are hidden as cl.exe has none
   without /arch), __SIZEOF_INT128__, __BYTE_ORDER__, __STDC__, ... The system headers (wine's,
   clang's) are read before, with clang's own macros, as they need them. This file adds what
   cl.exe defines and clang does not. */
#define LLMSPELL_MSVC_CHECK_CL 1
#ifdef __cplusplus
/* cl.exe reports C++98 in __cplusplus unless /Zc:__cplusplus; _MSVC_LANG has the real one */
#undef __cplusplus
#define __cplusplus 199711L
#else
/* cl /std:c11 and /std:c17 */
#define __STDC_NO_ATOMICS__ 1
#define __STDC_NO_COMPLEX__ 1
#define __STDC_NO_THREADS__ 1
#define __STDC_NO_VLA__ 1
#endif

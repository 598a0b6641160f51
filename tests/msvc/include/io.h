/* tests/msvc/include/io.h: wine's <io.h>, corrected where it differs from the Windows SDK's.
   Wine maps the POSIX names with macros (#define open _open), which renames every struct member
   and identifier called open/sopen in the including code. The SDK's <io.h> (corecrt_io.h)
   declares them as deprecated functions instead; this wrapper restores that. */
#ifndef LLMSPELL_MSVC_CHECK_IO_H
#define LLMSPELL_MSVC_CHECK_IO_H
#include_next <io.h>
#ifdef open
#undef open
#endif
#ifdef sopen
#undef sopen
#endif
#ifdef __cplusplus
extern "C" {
#endif
__declspec(dllimport) int __cdecl open(const char *, int, ...);
__declspec(dllimport) int __cdecl sopen(const char *, int, int, ...);
#ifdef __cplusplus
}
#endif
#endif

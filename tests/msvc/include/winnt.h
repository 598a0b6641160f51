/* tests/msvc/include/winnt.h: wine's <winnt.h>, made usable by clang in MSVC mode. Off its
   cl.exe path (`_MSC_VER && !__clang__`), wine defines InterlockedCompareExchange128 as an
   inline function named _InterlockedCompareExchange128, which clang in MSVC mode has as a
   builtin (an error in C++). Rename wine's definition; the name then still means the builtin,
   as it does with the Windows SDK. Used by the clang-cl pass only (cl.exe's path declares it). */
#ifndef LLMSPELL_MSVC_CHECK_WINNT_H
#define LLMSPELL_MSVC_CHECK_WINNT_H
#define _InterlockedCompareExchange128 llmspell_msvc_check_wine_ice128
#include_next <winnt.h>
#undef _InterlockedCompareExchange128
#endif

/* tests/msvc/sdk_fixups.h: force-included (-include) in every pass of tests/msvc_check.sh.
   Makes wine's Windows headers type text like the Windows SDK: WCHAR is wchar_t there
   (wine's default in C++ is char16_t, which no SDK function taking LPCWSTR would accept
   a wchar_t[] for). */
#define WINE_UNICODE_NATIVE 1

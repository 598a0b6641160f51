# tests/msvc/probe.awk: instrument a header for the branch probe of tests/msvc_check.sh.
# Writes the header with a marker token LLMSPELL_MSVC_PROBE_<TAG>_<line> after every #if / #ifdef /
# #ifndef / #elif / #else directive (after its continuation lines), so `clang -E` shows which
# branches a configuration takes. Writes to META one line per branch:
#   <line> TAB <chain's first line> TAB <directive text>
# The line numbers are those of the original header.
function flush_directive(   d) {
    d = dir
    sub(/^[ \t]*#[ \t]*/, "#", d)
    gsub(/[ \t]+/, " ", d)
    gsub(/\\ /, "", d)
    print "LLMSPELL_MSVC_PROBE_" TAG "_" dline
    printf "%d\t%d\t%s\n", dline, chain[depth], d > META
}
{
    if (cont) { # inside a directive's continuation lines
        print
        dir = dir " " $0
        if ($0 ~ /\\[ \t]*$/) next
        cont = 0
        if (probe) flush_directive()
        next
    }
    print
    if ($0 ~ /^[ \t]*#[ \t]*(if|ifdef|ifndef)([ \t(]|$)/) {
        depth++
        chain[depth] = NR
        probe = 1
    } else if ($0 ~ /^[ \t]*#[ \t]*(elif|else)([ \t(\/]|$)/) {
        probe = 1
    } else if ($0 ~ /^[ \t]*#[ \t]*endif/) {
        depth--
        next
    } else {
        next
    }
    dir = $0
    dline = NR
    if ($0 ~ /\\[ \t]*$/) { cont = 1; next }
    flush_directive()
}

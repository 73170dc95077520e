/* A stand-in for Windows' bcryptprimitives.dll, for the smoke run of the
 * Windows build under Wine only (never shipped). Rust's standard library
 * takes its random numbers from `ProcessPrng` in that DLL, which Windows 10
 * and 11 have and Debian 12's Wine 8 lacks; without it no Rust program
 * starts under that Wine. This one answers from RtlGenRandom. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}

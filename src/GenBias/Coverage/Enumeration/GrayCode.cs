using System;
using System.Runtime.CompilerServices;

namespace GenBias;

/// <summary>The reflected ternary Gray code: from one combination to the next, exactly one digit moves by ±1.</summary>
internal static class GrayCode
{
    /// <summary>Moves to the next combination; returns the digit that moved (by <c>direction[d]</c>, already applied).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int Step(Span<int> digit, Span<int> direction)
    {
        int d = 0;
        while (digit[d] + direction[d] is < 0 or > 2)
        {
            direction[d] = -direction[d];
            d++;
        }

        digit[d] += direction[d];
        return d;
    }
}

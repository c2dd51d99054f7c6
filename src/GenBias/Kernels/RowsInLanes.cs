using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenBias.CompilerServices;

/// <summary>
/// Moves sixteen rows of values into lanes for the batch kernels that compute later layers with the rows in lanes
/// (row r in lane r of every vector), so that every lane runs the canonical order of its own row. Moving values
/// changes no bits.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RowsInLanes
{
    /// <summary>
    /// Transposes a block of 16 × 16 floats in place: on entry, row r's sixteen values at <c>16 r</c>; on return, value
    /// i of the sixteen rows at <c>16 i</c> (row r in lane r). Four levels of shuffles on AVX-512F, element by element
    /// otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose16(ref float block)
    {
        if (!Avx512F.IsSupported)
        {
            for (int r = 0; r < 16; r++)
            {
                for (int i = r + 1; i < 16; i++)
                {
                    ref float a = ref Unsafe.Add(ref block, (16 * r) + i), b = ref Unsafe.Add(ref block, (16 * i) + r);
                    (a, b) = (b, a);
                }
            }

            return;
        }

        // Pairs of rows interleaved: t[2m] = (r2m[4k], r2m+1[4k], r2m[4k+1], r2m+1[4k+1]) per 128-bit block k, t[2m+1] the
        // next two values of each block.
        Vector512<float> t0 = Load(ref block, 0), t1 = Load(ref block, 1);
        (t0, t1) = (Avx512F.UnpackLow(t0, t1), Avx512F.UnpackHigh(t0, t1));
        Vector512<float> t2 = Load(ref block, 2), t3 = Load(ref block, 3);
        (t2, t3) = (Avx512F.UnpackLow(t2, t3), Avx512F.UnpackHigh(t2, t3));
        Vector512<float> t4 = Load(ref block, 4), t5 = Load(ref block, 5);
        (t4, t5) = (Avx512F.UnpackLow(t4, t5), Avx512F.UnpackHigh(t4, t5));
        Vector512<float> t6 = Load(ref block, 6), t7 = Load(ref block, 7);
        (t6, t7) = (Avx512F.UnpackLow(t6, t7), Avx512F.UnpackHigh(t6, t7));
        Vector512<float> t8 = Load(ref block, 8), t9 = Load(ref block, 9);
        (t8, t9) = (Avx512F.UnpackLow(t8, t9), Avx512F.UnpackHigh(t8, t9));
        Vector512<float> t10 = Load(ref block, 10), t11 = Load(ref block, 11);
        (t10, t11) = (Avx512F.UnpackLow(t10, t11), Avx512F.UnpackHigh(t10, t11));
        Vector512<float> t12 = Load(ref block, 12), t13 = Load(ref block, 13);
        (t12, t13) = (Avx512F.UnpackLow(t12, t13), Avx512F.UnpackHigh(t12, t13));
        Vector512<float> t14 = Load(ref block, 14), t15 = Load(ref block, 15);
        (t14, t15) = (Avx512F.UnpackLow(t14, t15), Avx512F.UnpackHigh(t14, t15));

        // u[4m + i]: value 4k + i of rows 4m … 4m + 3, in block k.
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        Vector512<float> u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        Vector512<float> u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE);
        Vector512<float> u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        Vector512<float> u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE);
        Vector512<float> u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);

        // Values i, 4 + i, 8 + i, 12 + i of the sixteen rows from the blocks of u[i], u[4 + i], u[8 + i], u[12 + i].
        Column4(ref block, 0, u0, u4, u8, u12);
        Column4(ref block, 1, u1, u5, u9, u13);
        Column4(ref block, 2, u2, u6, u10, u14);
        Column4(ref block, 3, u3, u7, u11, u15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(ref float block, int row) => Vector512.LoadUnsafe(ref block, (nuint)(16 * row));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column4(ref float block, int i, Vector512<float> rows0, Vector512<float> rows4, Vector512<float> rows8, Vector512<float> rows12)
    {
        Vector512<float> a = Avx512F.Shuffle4x128(rows0, rows4, 0x88), b = Avx512F.Shuffle4x128(rows0, rows4, 0xDD);
        Vector512<float> c = Avx512F.Shuffle4x128(rows8, rows12, 0x88), d = Avx512F.Shuffle4x128(rows8, rows12, 0xDD);
        Avx512F.Shuffle4x128(a, c, 0x88).StoreUnsafe(ref block, (nuint)(16 * i));
        Avx512F.Shuffle4x128(b, d, 0x88).StoreUnsafe(ref block, (nuint)(16 * (4 + i)));
        Avx512F.Shuffle4x128(a, c, 0xDD).StoreUnsafe(ref block, (nuint)(16 * (8 + i)));
        Avx512F.Shuffle4x128(b, d, 0xDD).StoreUnsafe(ref block, (nuint)(16 * (12 + i)));
    }
}

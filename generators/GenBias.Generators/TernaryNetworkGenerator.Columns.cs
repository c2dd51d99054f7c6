using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Batches for first layers wider than the tables (ShapeRules.AddsFirstLayerColumns, DotsFirstLayer), on the
    // fixed-point grid, where any order of the first layer's sum gives the canonical bits (GenBias.WideFirstLayer):
    // 32 or more neurons by register tiles of rows × neurons from a 64-byte-aligned copy of the weight columns
    // (Vector512; with Vector256 the rows are packed into masks and the columns of the +1 inputs added, those of the −1
    // inputs subtracted), 8 to 31 neurons by the rows transposed into lanes and broadcast weights; the rows then go into
    // lanes for the later layers, as in the other batch kernels. Where every first-layer weight fits 16 bits (checked by
    // SetParameters, _shortPairsFit) both Vector512 kernels read an int16 copy of the weights instead, two inputs per
    // int32 lane, summed exactly in int32. The batch checks the grid once per parameter version and otherwise takes the
    // canonical kernels.
    public sealed partial class TernaryNetworkGenerator
    {
        /// <summary>Whether the batch of this network adds first-layer columns.</summary>
        private static bool AddsColumns(List<LayerPlan> layers) =>
            !layers[0].Tables && ShapeRules.AddsFirstLayerColumns(layers[0].Inputs, layers[0].Width);

        /// <summary>
        /// Whether the batch of this network computes a narrow first layer on the grid by dot products with the inputs in
        /// lanes (<see cref="ShapeRules.DotsFirstLayer"/>, Vector512 only).
        /// </summary>
        private static bool DotsFirstLayer(List<LayerPlan> layers) =>
            !layers[0].Tables && ShapeRules.DotsFirstLayer(layers[0].Inputs, layers[0].Width);

        /// <summary>In ForwardBatch's accelerated branch: whole groups of rows by columns where the grid allows it.</summary>
        private static void EmitColumnBatchCalls(IndentedWriter w, List<LayerPlan> layers)
        {
            if (DotsFirstLayer(layers))
            {
                w.Line("// On the grid the first layer is exact in any order: the rows in lanes, broadcast weights, 16 rows per call.");
                using (w.Block($"if (path != GB::ComputePath.Vector256 && Simd::Vector512.IsHardwareAccelerated && FirstLayerOnGrid(version))"))
                {
                    using (w.Block("for (; r + 16 <= rows; r += 16)"))
                    {
                        w.Line($"DotBatchVector512(ref {Unsafe}.Add(ref first, r * InputCount), ref {Unsafe}.Add(ref last, r * OutputCount));");
                    }
                }

                w.Line();
                return;
            }

            if (!AddsColumns(layers))
            {
                return;
            }

            w.Line("// On the grid the first layer is exact in any order: register tiles of multiply-adds (Vector512) or sums of columns.");
            using (w.Block("if (FirstLayerOnGrid(version))"))
            {
                using (w.Block("if (path != GB::ComputePath.Vector256 && Simd::Vector512.IsHardwareAccelerated)"))
                {
                    using (w.Block("for (; r + 16 <= rows; r += 16)"))
                    {
                        w.Line($"ColumnBatchVector512(ref {Unsafe}.Add(ref first, r * InputCount), ref {Unsafe}.Add(ref last, r * OutputCount));");
                    }
                }

                using (w.Block("for (; r + 8 <= rows; r += 8)"))
                {
                    w.Line($"ColumnBatchVector256(ref {Unsafe}.Add(ref first, r * InputCount), ref {Unsafe}.Add(ref last, r * OutputCount));");
                }
            }

            w.Line();
        }

        /// <summary>The grid check and the two column kernels (16 and 8 rows in lanes).</summary>
        private static void EmitColumnBatches(IndentedWriter w, List<LayerPlan> layers)
        {
            bool dots = DotsFirstLayer(layers);
            if (!AddsColumns(layers) && !dots)
            {
                return;
            }

            w.Line();
            w.Line("// The parameter version whose first layer was checked, times two, plus one if it is on the grid (-1: none yet).");
            w.Member("private long _firstLayerGrid = -1;");
            w.Line();
            w.Line("// Whether the first layer is on the fixed-point grid at this parameter version (checked once per version).");
            using (w.MemberBlock("private bool FirstLayerOnGrid(int version)"))
            {
                w.Line("long known = Sys::Threading.Volatile.Read(ref _firstLayerGrid);");
                using (w.Block("if (known >> 1 != version)"))
                {
                    w.Line("known = ((long)version << 1) | (GB::FixedPointGrid.IsFirstLayerOnGrid(Shape, _parameters) ? 1L : 0L);");
                    w.Line("Sys::Threading.Volatile.Write(ref _firstLayerGrid, known);");
                }

                w.Line("return (known & 1) != 0;");
            }

            w.Line();
            if (dots)
            {
                EmitBatchKernel(w, layers, "Vector512", 16, columns: true, dots: true);
                return;
            }

            EmitBatchKernel(w, layers, "Vector512", 16, columns: true);
            w.Line();
            EmitBatchKernel(w, layers, "Vector256", 8, columns: true);
        }

        /// <summary>Layer 0 of the dot kernel: <c>y0[k]</c> holds neuron k's activation of the sixteen rows, row t in lane t.</summary>
        private static void EmitDotLayerInLanes(IndentedWriter w, LayerPlan l, string type, int lanes)
        {
            w.Line($"// Layer 0: {l.Describe}; the {lanes} rows transposed into lanes, then multiply-adds with broadcast weights,");
            w.Line("// eight neurons at a time, in input order (exact on the grid, so Forward's bits).");
            w.Line($"Sys::Span<{type}<float>> y0 = stackalloc {type}<float>[{l.Width}];");
            w.Line($"ref float y = ref {Unsafe}.As<{type}<float>, float>(ref Interop::MemoryMarshal.GetReference(y0));");
            using (w.Block("if (_shortPairsFit)"))
            {
                w.Line("// Every weight fits 16 bits: two inputs per int32 lane (vpmaddwd), summed exactly in int32.");
                w.Line($"GBC::WideFirstLayer.DotShortPreActivations(ref input, InputCount, ref {Unsafe}.As<float, int>(ref _shortPairs.Origin), {l.Padded}, {l.Width}, ref y);");
            }

            using (w.Block("else"))
            {
                w.Line($"GBC::WideFirstLayer.DotPreActivations(ref input, InputCount, ref {Unsafe}.Add(ref w, {l.Name}WeightOffset), "
                    + $"ref {Unsafe}.Add(ref w, {l.Name}BiasOffset), {l.Width}, ref y);");
            }

            using (w.Block($"for (int k = 0; k < {l.Width}; k++)"))
            {
                w.Line($"y0[k] = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, y0[k]);");
            }
        }

        /// <summary>Layer 0 of a column kernel: <c>y0[k]</c> holds neuron k's activation of the rows, row t in lane t.</summary>
        private static void EmitColumnLayerInLanes(IndentedWriter w, LayerPlan l, string type, int lanes)
        {
            int words = ShapeRules.PackedWordsPerRow(l.Inputs);
            w.Line(lanes == 16
                ? $"// Layer 0: {l.Describe}; the {lanes} rows' multiply-adds with the columns, in any order"
                : $"// Layer 0: {l.Describe}; the {lanes} rows packed, each neuron's +1 columns added and −1 columns subtracted");
            w.Line("// (exact on the grid, so Forward's bits), then neuron k of every row into the lanes of one vector.");
            w.Line($"Sys::Span<{type}<float>> y0 = stackalloc {type}<float>[{l.Width}];");
            using (w.Block())
            {
                w.Line($"Sys::Span<float> sums = stackalloc float[{lanes * l.Padded}];");
                w.Line("ref float s = ref Interop::MemoryMarshal.GetReference(sums);");
                if (lanes == 16)
                {
                    w.Line("// Tiles of rows by neurons in registers, a multiply-add per input, row and neuron; inputs zero in all a tile's rows skipped.");
                    using (w.Block("if (_shortPairsFit)"))
                    {
                        w.Line("// Every weight fits 16 bits: two inputs per int32 lane (vpmaddwd), summed exactly in int32.");
                        w.Line($"GBC::WideFirstLayer.TileShortPreActivations(ref input, InputCount, ref {Unsafe}.As<float, int>(ref _shortPairs.Origin), {l.Padded}, {l.Width}, ref s);");
                    }

                    using (w.Block("else"))
                    {
                        w.Line($"GBC::WideFirstLayer.TilePreActivations(ref input, InputCount, ref _columns.Origin, {l.Padded}, {l.Width}, ref s);");
                    }
                }
                else
                {
                    w.Line($"Sys::Span<ulong> masks = stackalloc ulong[{lanes * words}];");
                    w.Line("ref ulong m = ref Interop::MemoryMarshal.GetReference(masks);");
                    w.Line($"GBC::WideFirstLayer.PackRows(ref input, {lanes}, InputCount, ref m);");
                    w.Line($"GBC::WideFirstLayer.PreActivations(ref m, {lanes}, InputCount, ref _columns.Origin, {l.Padded}, {l.Width}, ref s);");
                }

                if (lanes == 16)
                {
                    w.Line("// Neuron k of the 16 rows into the lanes of y0[k] by 16 × 16 transposes, then the activation.");
                    w.Line($"GBC::WideFirstLayer.TransposeSums16(ref s, {l.Padded}, {l.Width}, ref {Unsafe}.As<{type}<float>, float>(ref Interop::MemoryMarshal.GetReference(y0)));");
                    using (w.Block($"for (int k = 0; k < {l.Width}; k++)"))
                    {
                        w.Line($"y0[k] = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, y0[k]);");
                    }

                    return;
                }

                using (w.Block($"for (int k = 0; k < {l.Width}; k++)"))
                {
                    w.Line($"ref float c = ref {Unsafe}.Add(ref s, k);");
                    string elements = string.Join(", ", Enumerable.Range(0, lanes).Select(t => t == 0 ? "c" : $"{Unsafe}.Add(ref c, {t * l.Padded})"));
                    w.Line($"y0[k] = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, {type}.Create({elements}));");
                }
            }
        }
    }
}

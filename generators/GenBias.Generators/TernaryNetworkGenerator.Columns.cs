using System.Collections.Generic;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Batches for first layers wider than the tables (ShapeRules.AddsFirstLayerColumns): the rows are packed into masks
    // and the first layer adds the weight columns of the +1 inputs and subtracts those of the −1 inputs
    // (GenBias.WideFirstLayer), no multiply and nothing for a zero input. That is Forward's value only when the first
    // layer is on the fixed-point grid, so the batch checks it (once per parameter version) and otherwise takes the
    // canonical path. The later layers run row by row through the Vector256 path.
    public sealed partial class TernaryNetworkGenerator
    {
        /// <summary>Rows packed and summed per call of the column kernel.</summary>
        private const int ColumnRows = 8;

        /// <summary>Whether the batch of this network adds first-layer columns.</summary>
        private static bool AddsColumns(List<LayerPlan> layers) =>
            !layers[0].Tables && ShapeRules.AddsFirstLayerColumns(layers[0].Inputs, layers[0].Width);

        /// <summary>In ForwardBatch, after <c>r</c> is declared: the whole batch by columns where the grid allows it.</summary>
        private static void EmitColumnBatchCall(IndentedWriter w, List<LayerPlan> layers)
        {
            if (!AddsColumns(layers))
            {
                return;
            }

            using (w.Block("if (ComputePath != global::GenBias.ComputePath.Scalar && global::System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && FirstLayerOnGrid(version))"))
            {
                w.Line("ColumnBatch(ref first, rows, outputs);");
                w.Line("r = rows;");
            }
        }

        private static void EmitColumnBatch(IndentedWriter w, List<LayerPlan> layers)
        {
            if (!AddsColumns(layers))
            {
                return;
            }

            LayerPlan first = layers[0], output = layers[layers.Count - 1];
            int lanes = (first.Width + 7) / 8 * 8;
            w.Line();
            w.Line("// The parameter version whose first layer was checked, times two, plus one if it is on the grid (-1: none yet).");
            w.Line("private long _firstLayerGrid = -1;");
            w.Line();
            w.Line("// Whether the first layer is on the fixed-point grid at this parameter version (checked once per version).");
            using (w.Block("private bool FirstLayerOnGrid(int version)"))
            {
                w.Line("long known = global::System.Threading.Volatile.Read(ref _firstLayerGrid);");
                using (w.Block("if (known >> 1 != version)"))
                {
                    w.Line("known = ((long)version << 1) | (global::GenBias.FixedPointGrid.IsFirstLayerOnGrid(Shape, _parameters) ? 1L : 0L);");
                    w.Line("global::System.Threading.Volatile.Write(ref _firstLayerGrid, known);");
                }

                w.Line("return (known & 1) != 0;");
            }

            w.Line();
            w.Line($"// {ColumnRows} rows at a time: packed, their first layer by columns, then each row's later layers.");
            using (w.Block("private void ColumnBatch(ref sbyte first, int rows, global::System.Span<float> outputs)"))
            {
                w.Line($"global::System.Span<ulong> masks = stackalloc ulong[{ColumnRows} * {2 * ((first.Inputs + 63) / 64)}];");
                w.Line($"global::System.Span<float> pre = stackalloc float[{ColumnRows * first.Padded}];");
                EmitScratch(w, layers);
                w.Line("h.Clear(); // the first layer's padding lanes hold zeros, as the canonical path leaves them");
                w.Line("ref float w = ref global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_packed);");
                w.Line("ref ulong m = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(masks);");
                w.Line("ref float p = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(pre);");
                w.Line("ref float hs = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(h);");
                w.Line("ref float zs = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(z);");
                using (w.Block($"for (int r = 0; r < rows; r += {ColumnRows})"))
                {
                    w.Line($"int count = global::System.Math.Min({ColumnRows}, rows - r);");
                    w.Line($"global::GenBias.WideFirstLayer.PackRows(ref {Unsafe}.Add(ref first, r * InputCount), count, InputCount, ref m);");
                    w.Line($"global::GenBias.WideFirstLayer.PreActivations(ref m, count, InputCount, ref {Unsafe}.Add(ref w, {first.Name}Packed), {first.Padded}, {first.Width}, ref p);");
                    using (w.Block("for (int t = 0; t < count; t++)"))
                    {
                        for (int k = 0; k < lanes; k += 8)
                        {
                            w.Line($"{V256}<float> pre{k / 8} = {V256}.LoadUnsafe(ref p, (nuint)(t * {first.Padded} + {k}));");
                            w.Line($"{V256}.StoreUnsafe(pre{k / 8}, ref zs, {first.Name}Scratch + {k});");
                            w.Line($"{V256}.StoreUnsafe(global::GenBias.ActivationMath.Apply(global::GenBias.Activation.{first.Activation}, pre{k / 8}), ref hs, {first.Name}Scratch + {k});");
                        }

                        if (layers.Count > 1)
                        {
                            w.Line("RunVector256FromLayer1(ref hs, ref zs);");
                        }

                        w.Line($"h.Slice({output.Name}Scratch, OutputCount).CopyTo(outputs.Slice((r + t) * OutputCount, OutputCount));");
                    }
                }
            }

            if (layers.Count > 1)
            {
                w.Line();
                EmitVectorPath(w, layers, wide: false, from: 1);
            }
        }
    }
}

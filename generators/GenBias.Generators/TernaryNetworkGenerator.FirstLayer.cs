using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // The first layer in the canonical group order of GenBias.CanonicalSum.FirstLayer: inputs in groups of five, each
    // group's sum a chain of fused multiply-adds (the bias starts group 0), group sums combined into eight partial
    // sums and then the fixed tree without the partial sums that do not exist. Small first layers read each group's
    // sum from a table (one row per combination of the group's five inputs); large ones compute it, in the same order.
    public sealed partial class TernaryNetworkGenerator
    {
        private const string Unsafe = "Runtime::Unsafe";

        /// <summary>The fixed tree over the first <paramref name="present"/> partial sums, those missing left out.</summary>
        private static string TreeOfPresent(int present, System.Func<int, string> partial)
        {
            string? At(int l) => l < present ? partial(l) : null;
            string? Pair(string? a, string? b) => a == null ? b : b == null ? a : $"({a} + {b})";
            return Pair(Pair(Pair(At(0), At(4)), Pair(At(2), At(6))), Pair(Pair(At(1), At(5)), Pair(At(3), At(7))))!;
        }

        /// <summary>
        /// Emits <c>{type} pre</c>: the canonical grouped sum over <paramref name="inputs"/> inputs, computing each group's
        /// sum with <paramref name="fma"/> (input index expression, accumulator → the next accumulator) from
        /// <paramref name="start"/> (true for group 0, whose start is the bias).
        /// </summary>
        private static void EmitGroupedSum(IndentedWriter w, string type, string zero, int inputs,
            System.Func<bool, string> start, System.Func<string, string, string> fma)
        {
            int groups = ShapeRules.Groups(inputs), present = System.Math.Min(groups, ShapeRules.PartialSums);
            int size = ShapeRules.GroupSize;
            void Group(int g, string target, bool declare)
            {
                int first = g * size, count = System.Math.Min(size, inputs - first);
                w.Line($"{(declare ? type + " " : "")}{target} = {start(g == 0)}; // group {g}: input{(count == 1 ? $" {first}" : $"s {first}-{first + count - 1}")}");
                for (int i = 0; i < count; i++)
                {
                    w.Line($"{target} = {fma((first + i).ToString(), target)};");
                }
            }

            for (int g = 0; g < present; g++)
            {
                Group(g, "s" + g, declare: true);
            }

            // Groups 8 and on add to partial sum g % 8, in order: whole rounds of eight full groups in a loop.
            int fullGroups = inputs / size;
            int rounds = groups > ShapeRules.PartialSums ? (fullGroups - ShapeRules.PartialSums) / ShapeRules.PartialSums : 0;
            if (rounds > 1)
            {
                int end = (ShapeRules.PartialSums + (rounds * ShapeRules.PartialSums)) * size;
                using (w.Block($"for (int j = {ShapeRules.PartialSums * size}; j < {end}; j += {ShapeRules.PartialSums * size})"))
                {
                    for (int t = 0; t < ShapeRules.PartialSums; t++)
                    {
                        w.Line($"{type} q{t} = {zero};");
                        for (int i = 0; i < size; i++)
                        {
                            w.Line($"q{t} = {fma($"j + {(t * size) + i}", "q" + t)};");
                        }

                        w.Line($"s{t} += q{t};");
                    }
                }
            }

            int next = rounds > 1 ? ShapeRules.PartialSums + (rounds * ShapeRules.PartialSums) : ShapeRules.PartialSums;
            for (int g = next; g < groups; g++)
            {
                using (w.Block())
                {
                    Group(g, "q", declare: true);
                    w.Line($"s{g % ShapeRules.PartialSums} += q;");
                }
            }

            w.Line($"{type} pre = {TreeOfPresent(present, l => "s" + l)};");
        }

        /// <summary>The first layer of a vector path: from tables or computed, over outputs or narrow.</summary>
        private static void EmitFirstLayer(IndentedWriter w, LayerPlan l, string vector, int lanes, bool outputOnly)
        {
            if (l.Tables)
            {
                // A narrow layer's row of table floats is one Vector256, or two Vector128 on that path.
                bool rowVector = l.OverOutputs || lanes == 4;
                EmitFirstLayerFromTables(w, l, rowVector ? vector : "Vector256", rowVector ? lanes : 8, outputOnly);
            }
            else if (l.OverOutputs && lanes == 16 && !outputOnly && ShapeRules.AddsFirstLayerColumns(l.Inputs, l.Width))
            {
                EmitRowColumnSums(w, l);
            }
            else if (l.OverOutputs)
            {
                EmitInputToFloats(w, l, lanes);
                EmitFirstLayerComputed(w, l, vector, lanes);
            }
            else
            {
                EmitInputToFloats(w, l, lanes);
                w.Line($"// Layer 0: {l.Describe}, one neuron at a time in the canonical group order (too many inputs for tables).");
                using (w.Block())
                {
                    w.Line("Sys::ReadOnlySpan<float> xs = Interop::MemoryMarshal.CreateReadOnlySpan(ref x, InputCount);");
                    for (int k = 0; k < l.Width; k++)
                    {
                        w.Line($"float pre{k} = GBC::CanonicalSum.FirstLayer(xs, new Sys::ReadOnlySpan<float>(_parameters, Layer0WeightOffset + {k * l.Inputs}, {l.Inputs}), _parameters[Layer0BiasOffset + {k}]);");
                        w.Line($"{Unsafe}.Add(ref z, Layer0Scratch + {k}) = pre{k};");
                        w.Line($"{Unsafe}.Add(ref h, Layer0Scratch + {k}) = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre{k});");
                    }
                }
            }
        }

        private static void EmitFirstLayerFromTables(IndentedWriter w, LayerPlan l, string vector, int lanes, bool outputOnly)
        {
            string type = "Simd::" + vector;
            int stride = l.TableStride, groupFloats = ShapeRules.GroupRows * stride;
            int blocks = Blocks(l.Width, lanes); // narrow: one block of 8, or two of 4 on Vector128
            w.Line($"// Layer 0: {l.Describe}, from tables: the five inputs of group g pick one of 243 rows of every neuron's");
            w.Line("// group sum (group 0 includes the bias); the rows are combined in the canonical order, so no multiply is left.");
            if (l.OverOutputs)
            {
                w.Line(string.Join(", ", Enumerable.Range(0, blocks).Select(b => b == 0 ? $"{type}<float> y0_0" : $"y0_{b}")) + ";");
            }

            if (outputOnly && l.Width == 1 && ShapeRules.GathersFirstLayer(l.Inputs, l.Width))
            {
                EmitOneNeuronFromKeys(w, l);
                return;
            }

            using (w.Block())
            {
                w.Line("ref float t = ref _tables.Origin;");
                w.Line("ref int keys = ref _tables.KeyOrigin; // ten mask bits → the offset of the group's row");
                for (int g = 0; g < l.Groups; g++)
                {
                    string offset = g == 0 ? "" : $"{g * groupFloats} + ";
                    w.Line($"nuint r{g} = {offset}(nuint){Unsafe}.Add(ref keys, GBC::FirstLayerTables.Key(positive, negative, {g * ShapeRules.GroupSize})); // group {g}");
                }

                int present = System.Math.Min(l.Groups, ShapeRules.PartialSums);
                if (l.Width == 1)
                {
                    for (int g = 0; g < l.Groups; g++)
                    {
                        w.Line(g < ShapeRules.PartialSums ? $"float s{g} = {Unsafe}.Add(ref t, r{g});" : $"s{g % 8} += {Unsafe}.Add(ref t, r{g});");
                    }

                    w.Line($"float pre0 = {TreeOfPresent(present, p => "s" + p)};");
                    if (outputOnly)
                    {
                        EmitNeuronResult(w, l, 0, outputOnly);
                        return;
                    }

                    w.Line($"{Unsafe}.Add(ref z, Layer0Scratch) = pre0;");
                    w.Line($"{Unsafe}.Add(ref h, Layer0Scratch) = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre0);");
                    return;
                }

                for (int b = 0; b < blocks; b++)
                {
                    int lo = b * lanes;
                    w.Line(BlockComment(lo, lanes, l.Width));
                    using (w.Block())
                    {
                        for (int g = 0; g < l.Groups; g++)
                        {
                            string load = $"{type}.LoadUnsafe(ref t, r{g}{(lo == 0 ? "" : " + " + lo)})";
                            w.Line(g < ShapeRules.PartialSums ? $"{type}<float> s{g} = {load};" : $"s{g % 8} += {load};");
                        }

                        w.Line($"{type}<float> pre = {TreeOfPresent(present, p => "s" + p)};");
                        if (outputOnly)
                        {
                            // The next layer reads the activations from their registers.
                            w.Line($"y0_{b} = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                            continue;
                        }

                        w.Line($"{type}.StoreUnsafe(pre, ref z, Layer0Scratch + {lo});");
                        string y = l.OverOutputs ? $"y0_{b}" : $"{type}<float> y0";
                        w.Line($"{y} = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                        w.Line($"{type}.StoreUnsafe({(l.OverOutputs ? $"y0_{b}" : "y0")}, ref h, Layer0Scratch + {lo});");
                    }
                }
            }
        }

        /// <summary>
        /// The output of one neuron over at most 32 inputs from the keyed copy of its tables: each group's sum one load
        /// away from its ten mask bits (the same floats as the rows, without the load of the row's offset).
        /// </summary>
        private static void EmitOneNeuronFromKeys(IndentedWriter w, LayerPlan l)
        {
            using (w.Block())
            {
                w.Line("ref float keyed = ref _tables.KeyedOrigin; // group g's sum for each ten-bit key at g * 1024 + key");
                for (int g = 0; g < l.Groups; g++)
                {
                    string offset = g == 0 ? "" : $"{g * 1024} + ";
                    string key = $"GBC::FirstLayerTables.Key(positive, negative, {g * ShapeRules.GroupSize})";
                    w.Line(g < ShapeRules.PartialSums
                        ? $"float s{g} = {Unsafe}.Add(ref keyed, {offset}{key}); // group {g}"
                        : $"s{g % 8} += {Unsafe}.Add(ref keyed, {offset}{key}); // group {g}");
                }

                w.Line($"float pre0 = {TreeOfPresent(System.Math.Min(l.Groups, ShapeRules.PartialSums), p => "s" + p)};");
                EmitNeuronResult(w, l, 0, outputOnly: true);
            }
        }

        /// <summary>
        /// The first layer of one row on the Vector512 path where batches add its columns
        /// (<see cref="ShapeRules.AddsFirstLayerColumns"/>): on the fixed-point grid the columns of the nonzero inputs
        /// summed in any order (GenBias.WideFirstLayer.RowPreActivations), which are the canonical bits there; off it the
        /// canonical group order.
        /// </summary>
        private static void EmitRowColumnSums(IndentedWriter w, LayerPlan l)
        {
            const string Type = "Simd::Vector512";
            int blocks = Blocks(l.Width, 16);
            w.Line(string.Join(", ", Enumerable.Range(0, blocks).Select(b => b == 0 ? $"{Type}<float> y0_0" : $"y0_{b}")) + ";");
            w.Line("// On the grid every order of the first layer's sum gives the canonical bits: the columns of the +1 inputs added,");
            w.Line(ShapeRules.TriplesFirstLayer(l.Inputs, l.Width)
                ? "// those of the −1 inputs subtracted, three inputs at a time (nothing for a zero triple), then the bias."
                : ShapeRules.PairsFirstLayer(l.Inputs, l.Width)
                ? "// those of the −1 inputs subtracted, a pair of inputs at a time (nothing for a zero pair), then the bias."
                : "// those of the −1 inputs subtracted (nothing for a zero input), then the bias.");
            using (w.Block("if (FirstLayerOnGrid(GBC::ParameterVersion.Read(ref _version)))"))
            {
                if (ShapeRules.TriplesFirstLayer(l.Inputs, l.Width))
                {
                    w.Line($"GBC::WideFirstLayer.RowTriplePreActivations(ref input, InputCount, ref _triples.Origin, {l.Padded}, {l.Width},");
                    w.Line($"    ref {Unsafe}.Add(ref z, Layer0Scratch));");
                }
                else
                {
                    w.Line(ShapeRules.PairsFirstLayer(l.Inputs, l.Width)
                        ? $"GBC::WideFirstLayer.RowPairPreActivations(ref input, InputCount, ref _pairs.Origin, {l.Padded}, {l.Width}, ref {Unsafe}.Add(ref z, Layer0Scratch));"
                        : $"GBC::WideFirstLayer.RowPreActivations(ref input, InputCount, ref _columns.Origin, {l.Padded}, {l.Width}, ref {Unsafe}.Add(ref z, Layer0Scratch));");
                }

                for (int b = 0; b < blocks; b++)
                {
                    w.Line($"y0_{b} = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, {Type}.LoadUnsafe(ref z, Layer0Scratch + {b * 16}));");
                    w.Line($"{Type}.StoreUnsafe(y0_{b}, ref h, Layer0Scratch + {b * 16});");
                }
            }

            using (w.Block("else"))
            {
                EmitInputToFloats(w, l, 16);
                EmitFirstLayerComputed(w, l, "Vector512", 16, declare: false);
            }
        }

        private static void EmitFirstLayerComputed(IndentedWriter w, LayerPlan l, string vector, int lanes, bool declare = true)
        {
            string type = "Simd::" + vector;
            int blocks = Blocks(l.Width, lanes);
            w.Line($"// Layer 0: {l.Describe}, outputs in {vector} lanes ({blocks} block{(blocks == 1 ? "" : "s")} of {lanes}), in the");
            w.Line("// canonical group order: a chain of multiply-adds per group of five inputs (the bias starts group 0), the");
            w.Line("// group sums into eight partial sums, then the fixed tree.");
            if (declare)
            {
                w.Line(string.Join(", ", Enumerable.Range(0, blocks).Select(b => b == 0 ? $"{type}<float> y0_0" : $"y0_{b}")) + ";");
            }

            using (w.Block())
            {
                w.Line("ref float a = ref x;");
                w.Line($"ref float p = ref {Unsafe}.Add(ref w, Layer0Packed); // column j (input j to every neuron) at j * {l.Padded}, biases at {l.Inputs * l.Padded}");
                for (int b = 0; b < blocks; b++)
                {
                    int lo = b * lanes;
                    w.Line(BlockComment(lo, lanes, l.Width));
                    using (w.Block())
                    {
                        int block = lo;
                        EmitGroupedSum(w, $"{type}<float>", $"{type}<float>.Zero", l.Inputs,
                            first => first ? $"{type}.LoadUnsafe(ref p, {(l.Inputs * l.Padded) + block})" : $"{type}<float>.Zero",
                            (index, acc) => int.TryParse(index, out int j)
                                ? $"{type}.FusedMultiplyAdd({type}.Create({Unsafe}.Add(ref a, {j})), {type}.LoadUnsafe(ref p, {(j * l.Padded) + block}), {acc})"
                                : $"{type}.FusedMultiplyAdd({type}.Create({Unsafe}.Add(ref a, {index})), {type}.LoadUnsafe(ref p, (nuint)((({index}) * {l.Padded}) + {block})), {acc})");
                        w.Line($"{type}.StoreUnsafe(pre, ref z, Layer0Scratch + {lo});");
                        w.Line($"y0_{b} = GB::ActivationMath.Apply(GB::Activation.{l.Activation}, pre);");
                        w.Line($"{type}.StoreUnsafe(y0_{b}, ref h, Layer0Scratch + {lo});");
                    }
                }
            }
        }
    }
}

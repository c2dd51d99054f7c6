using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // The public Forward and ForwardActivations: validation, scratch buffers and the parameter-version check around Run.
    public sealed partial class TernaryNetworkGenerator
    {
        private static void EmitPublicForward(IndentedWriter w, NetworkModel model, List<LayerPlan> layers)
        {
            LayerPlan output = layers[layers.Count - 1];
            bool packedForm = model.Inputs <= ShapeRules.MaxPackedInputs;
            bool inRegisters = OutputInRegisters(layers);
            if (output.Width == 1)
            {
                w.Line("/// <summary>The output for one input of -1, 0, +1 values.</summary>");
                w.Line("/// <exception cref=\"Sys::ArgumentException\">The input does not have <see cref=\"InputCount\"/> values, or one is not ternary (the message names its index).</exception>");
                using (w.MemberBlock("public float Forward(Sys::ReadOnlySpan<sbyte> input)"))
                {
                    if (inRegisters)
                    {
                        EmitSpanOutput(w);
                        w.Line("return y;");
                    }
                    else
                    {
                        EmitSpanRun(w, layers);
                        EmitVersionCheck(w);
                        w.Line($"return h[{output.Name}Scratch];");
                    }
                }

                w.Line();
                if (packedForm)
                {
                    w.Line("/// <summary>The output for one input in the packed form: bit i of <paramref name=\"positive\"/> means +1, of <paramref name=\"negative\"/> -1.</summary>");
                    using (w.MemberBlock("public float Forward(ulong positive, ulong negative)"))
                    {
                        if (inRegisters)
                        {
                            EmitPackedOutput(w);
                            w.Line("return y;");
                        }
                        else
                        {
                            EmitPackedRun(w, layers);
                            EmitVersionCheck(w);
                            w.Line($"return h[{output.Name}Scratch];");
                        }
                    }

                    w.Line();
                }
            }

            w.Line("/// <inheritdoc/>");
            using (w.MemberBlock("public void Forward(Sys::ReadOnlySpan<sbyte> input, Sys::Span<float> output)"))
            {
                w.Line("GB::TernaryInput.CheckLength(output.Length, OutputCount, nameof(output));");
                if (inRegisters)
                {
                    EmitSpanOutput(w);
                    w.Line("Interop::MemoryMarshal.GetReference(output) = y;");
                }
                else
                {
                    EmitSpanRun(w, layers);
                    EmitVersionCheck(w);
                    w.Line($"h.Slice({output.Name}Scratch, OutputCount).CopyTo(output);");
                }
            }

            w.Line();
            w.Line("/// <inheritdoc/>");
            if (packedForm)
            {
                using (w.MemberBlock("public void Forward(ulong positive, ulong negative, Sys::Span<float> output)"))
                {
                    w.Line("GB::TernaryInput.CheckLength(output.Length, OutputCount, nameof(output));");
                    if (inRegisters)
                    {
                        EmitPackedOutput(w);
                        w.Line("Interop::MemoryMarshal.GetReference(output) = y;");
                    }
                    else
                    {
                        EmitPackedRun(w, layers);
                        EmitVersionCheck(w);
                        w.Line($"h.Slice({output.Name}Scratch, OutputCount).CopyTo(output);");
                    }
                }
            }
            else
            {
                w.Line($"/// <remarks>The packed form holds at most 64 inputs; this network has {model.Inputs}, so this throws.</remarks>");
                w.Member("void GB::ITernaryNetwork.Forward(ulong positive, ulong negative, Sys::Span<float> output) =>");
                w.Line("    throw GB::TernaryInput.PackedUnavailable(InputCount);");
            }

            w.Line();
            if (layers[0].Tables)
            {
                EmitTableBatches(w, layers);
            }
            else
            {
                EmitComputedBatch(w, model, layers);
            }

            w.Line();
            w.Line("/// <inheritdoc/>");
            using (w.MemberBlock("public void ForwardActivations(Sys::ReadOnlySpan<sbyte> input, Sys::Span<float> activations)"))
            {
                w.Line("GB::TernaryInput.CheckLength(activations.Length, ActivationCount, nameof(activations));");
                EmitSpanRun(w, layers);
                EmitVersionCheck(w);
                foreach (LayerPlan l in layers)
                {
                    w.Line($"h.Slice({l.Name}Scratch, {l.Width}).CopyTo(activations.Slice({l.Name}ActivationOffset));");
                }
            }

            w.Line();
        }

        /// <summary>Validates the span <c>input</c> and runs the network on it into h and z.</summary>
        private static void EmitSpanRun(IndentedWriter w, List<LayerPlan> layers)
        {
            if (!layers[0].Tables)
            {
                w.Line("GB::TernaryInput.Validate(input, InputCount);");
                EmitScratch(w, layers);
                w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                w.Line("Run(ref Interop::MemoryMarshal.GetReference(input), h, z);");
                return;
            }

            w.Line("// Two compares and a movemask per vector pack the input and check that it is ternary.");
            w.Line("ulong positive = 0, negative = 0;");
            using (w.Block("if (input.Length != InputCount || !GB::TernaryInput.TryPack(ref Interop::MemoryMarshal.GetReference(input), InputCount, out positive, out negative))"))
            {
                w.Line("GB::TernaryInput.Validate(input, InputCount); // throws, naming the wrong length or value");
            }

            EmitScratch(w, layers);
            w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
            w.Line("RunPacked(positive, negative, h, z);");
        }

        /// <summary>Validates and packs the span <c>input</c>, then computes the output alone into a local named y.</summary>
        private static void EmitSpanOutput(IndentedWriter w)
        {
            w.Line("// Two compares and a movemask per vector pack the input and check that it is ternary.");
            w.Line("ulong positive = 0, negative = 0;");
            using (w.Block("if (input.Length != InputCount || !GB::TernaryInput.TryPack(ref Interop::MemoryMarshal.GetReference(input), InputCount, out positive, out negative))"))
            {
                w.Line("GB::TernaryInput.Validate(input, InputCount); // throws, naming the wrong length or value");
            }

            w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
            w.Line("float y = OutputPacked(positive, negative);");
            EmitVersionCheck(w);
        }

        /// <summary>Validates the packed <c>positive</c>, <c>negative</c>, then computes the output alone into a local named y.</summary>
        private static void EmitPackedOutput(IndentedWriter w)
        {
            w.Line("GB::TernaryInput.ValidatePacked(positive, negative, InputCount);");
            w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
            w.Line("float y = OutputPacked(positive, negative);");
            EmitVersionCheck(w);
        }

        /// <summary>Validates the packed <c>positive</c>, <c>negative</c> and runs the network on them into h and z.</summary>
        private static void EmitPackedRun(IndentedWriter w, List<LayerPlan> layers)
        {
            if (!layers[0].Tables)
            {
                EmitUnpack(w);
                EmitScratch(w, layers);
                w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                w.Line("Run(ref Interop::MemoryMarshal.GetReference(input), h, z);");
                return;
            }

            w.Line("GB::TernaryInput.ValidatePacked(positive, negative, InputCount);");
            EmitScratch(w, layers);
            w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
            w.Line("RunPacked(positive, negative, h, z);");
        }

        /// <summary>
        /// After a computation that read the parameters: throws if SetParameters ran meanwhile (the version read before
        /// it, in a local named version, is odd or has changed), so a race never returns a silently mixed result.
        /// </summary>
        private static void EmitVersionCheck(IndentedWriter w) =>
            w.Line("GBC::ParameterVersion.Check(version, ref _version);");

        private static void EmitUnpack(IndentedWriter w)
        {
            w.Line("GB::TernaryInput.ValidatePacked(positive, negative, InputCount);");
            w.Line("Sys::Span<sbyte> input = stackalloc sbyte[PackedBufferSize];");
            w.Line("GB::TernaryInput.Unpack(positive, negative, InputCount, input);");
        }

        /// <summary>Whether a narrow layer reads the padding of another narrow layer's outputs, which must then be zero.</summary>
        private static bool NeedsZeroedScratch(List<LayerPlan> layers) =>
            layers.Skip(1).Any(l => !l.OverOutputs && !layers[l.Index - 1].OverOutputs);

        private static void EmitScratch(IndentedWriter w, List<LayerPlan> layers)
        {
            w.Line("Sys::Span<float> h = stackalloc float[ScratchSize];");
            w.Line("Sys::Span<float> z = stackalloc float[ScratchSize];");
            if (NeedsZeroedScratch(layers))
            {
                w.Line("// A narrow layer reads whole vectors of the narrow layer before it: its padding must hold zeros.");
                w.Line("h.Clear();");
            }
        }
    }
}

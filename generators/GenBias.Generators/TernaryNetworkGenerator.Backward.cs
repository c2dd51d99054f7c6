using System.Collections.Generic;
using System.Linq;
using GenBias.Generators.Helpers;

namespace GenBias.Generators
{
    // Backward and BackwardActivations: the forward pass, then the gradient kernels layer by layer.
    public sealed partial class TernaryNetworkGenerator
    {
        private static void EmitBackward(IndentedWriter w, List<LayerPlan> layers)
        {
            LayerPlan output = layers[layers.Count - 1];
            w.Line("/// <inheritdoc/>");
            using (w.MemberBlock("public void Backward(Sys::ReadOnlySpan<sbyte> input, Sys::ReadOnlySpan<float> outputGradient, Sys::Span<float> parameterGradient)"))
            {
                w.Line("GB::TernaryInput.Validate(input, InputCount);");
                w.Line("GB::TernaryInput.CheckLength(outputGradient.Length, OutputCount, nameof(outputGradient));");
                w.Line("GB::TernaryInput.CheckLength(parameterGradient.Length, ParameterCount, nameof(parameterGradient));");
                w.Line("Sys::Span<float> g = stackalloc float[ActivationCount];");
                w.Line("g.Clear();");
                w.Line($"outputGradient.CopyTo(g.Slice({output.Name}ActivationOffset));");
                w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                w.Line("BackwardCore(input, g, parameterGradient);");
                EmitVersionCheck(w);
            }

            w.Line();
            w.Line("/// <inheritdoc/>");
            using (w.MemberBlock("public void BackwardActivations(Sys::ReadOnlySpan<sbyte> input, Sys::ReadOnlySpan<float> activationGradient, Sys::Span<float> parameterGradient)"))
            {
                w.Line("GB::TernaryInput.Validate(input, InputCount);");
                w.Line("GB::TernaryInput.CheckLength(activationGradient.Length, ActivationCount, nameof(activationGradient));");
                w.Line("GB::TernaryInput.CheckLength(parameterGradient.Length, ParameterCount, nameof(parameterGradient));");
                w.Line("int version = GBC::ParameterVersion.Read(ref _version);");
                w.Line("BackwardCore(input, activationGradient, parameterGradient);");
                EmitVersionCheck(w);
            }

            w.Line();
            w.Line("// g: the gradient of the objective with respect to every neuron's activation (ActivationCount, layer order).");
            using (w.MemberBlock("private void BackwardCore(Sys::ReadOnlySpan<sbyte> input, Sys::ReadOnlySpan<float> g, Sys::Span<float> parameterGradient)"))
            {
                EmitScratch(w, layers);
                w.Line("Run(ref Interop::MemoryMarshal.GetReference(input), h, z);");
                w.Line("Sys::Span<float> x = stackalloc float[InputCount];");
                w.Line("GB::TernaryInput.ToFloats(input, x);");
                w.Line();
                w.Line("// d holds, per layer, the gradient with respect to each neuron's pre-activation.");
                w.Line("Sys::Span<float> d = stackalloc float[ScratchSize];");
                w.Line($"g.Slice({output.Name}ActivationOffset, {output.Width}).CopyTo(d.Slice({output.Name}Scratch));");
                w.Line($"GBC::GradientKernels.ApplyDerivative(GB::Activation.{output.Activation}, z.Slice({output.Name}Scratch, {output.Width}), h.Slice({output.Name}Scratch, {output.Width}), d.Slice({output.Name}Scratch, {output.Width}));");
                for (int i = layers.Count - 1; i >= 0; i--)
                {
                    LayerPlan l = layers[i];
                    string a = i == 0 ? "x" : $"h.Slice({layers[i - 1].Name}Scratch, {l.Inputs})";
                    w.Line();
                    w.Line($"// Layer {l.Index}, {l.Describe}: weight gradients are δ ⊗ input, bias gradients δ.");
                    w.Line($"Sys::ReadOnlySpan<float> d{l.Index} = d.Slice({l.Name}Scratch, {l.Width});");
                    w.Line($"GBC::GradientKernels.AddOuterProduct(parameterGradient.Slice({l.Name}WeightOffset, {l.Width * l.Inputs}), d{l.Index}, {a});");
                    w.Line($"GBC::GradientKernels.Add(parameterGradient.Slice({l.Name}BiasOffset, {l.Width}), d{l.Index});");
                    if (i > 0)
                    {
                        LayerPlan below = layers[i - 1];
                        w.Line($"// Back through the weights to layer {below.Index}, plus its own activation gradient, then through its activation.");
                        w.Line($"Sys::Span<float> below{l.Index} = d.Slice({below.Name}Scratch, {below.Width});");
                        w.Line($"GBC::GradientKernels.MultiplyTransposed(new Sys::ReadOnlySpan<float>(_parameters, {l.Name}WeightOffset, {l.Width * l.Inputs}), d{l.Index}, below{l.Index});");
                        w.Line($"GBC::GradientKernels.Add(below{l.Index}, g.Slice({below.Name}ActivationOffset, {below.Width}));");
                        w.Line($"GBC::GradientKernels.ApplyDerivative(GB::Activation.{below.Activation}, z.Slice({below.Name}Scratch, {below.Width}), h.Slice({below.Name}Scratch, {below.Width}), below{l.Index});");
                    }
                }
            }

            w.Line();
        }
    }
}

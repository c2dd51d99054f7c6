using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>One test per diagnostic: its id, where it points (the text it underlines) and its message.</summary>
public class DiagnosticTests
{
    [Theory]
    [InlineData("GB0001", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public class NotPartial;
        """, "TernaryNetwork(Inputs = 4)",
        "'NotPartial' must be declared partial so GenBias can add the network's code; write 'partial class NotPartial'")]
    [InlineData("GB0002", """
        public class Outer
        {
            [TernaryNetwork(Inputs = 4)]
            [Dense(1, Activation.Tanh)]
            public partial class Inner;
        }
        """, "TernaryNetwork(Inputs = 4)", "'Inner' is nested in 'Outer', which is not partial; declare 'Outer' partial as well")]
    [InlineData("GB0003", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial class Generic<T>;
        """, "TernaryNetwork(Inputs = 4)",
        "'Generic' has type parameters; a [TernaryNetwork] class cannot be generic: remove the type parameters")]
    [InlineData("GB0004", """
        [TernaryNetwork(Inputs = 4)]
        public partial class NoLayers;
        """, "TernaryNetwork(Inputs = 4)",
        "'NoLayers' has no layers; add at least one [Dense(width, Activation.X)] after [TernaryNetwork], the last being the output layer")]
    [InlineData("GB0005", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(8, Activation.Tanh)]
        [Dense(0, Activation.Tanh)]
        public partial class ZeroWidth;
        """, "0", "Layer 1 of 'ZeroWidth' has width 0; a layer has 1 to 256 neurons")]
    [InlineData("GB0005", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(257, Activation.Tanh)]
        public partial class TooWide;
        """, "257", "Layer 0 of 'TooWide' has width 257; a layer has 1 to 256 neurons")]
    [InlineData("GB0006", """
        [TernaryNetwork(Inputs = 1025)]
        [Dense(1, Activation.Tanh)]
        public partial class TooManyInputs;
        """, "Inputs = 1025", "'TooManyInputs' has Inputs = 1025; set [TernaryNetwork(Inputs = n)] with n from 1 to 1024")]
    [InlineData("GB0006", """
        [TernaryNetwork]
        [Dense(1, Activation.Tanh)]
        public partial class InputsNotSet;
        """, "TernaryNetwork", "'InputsNotSet' has Inputs = 0; set [TernaryNetwork(Inputs = n)] with n from 1 to 1024")]
    [InlineData("GB0007", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, (Activation)42)]
        public partial class BadActivation;
        """, "(Activation)42",
        "Layer 0 of 'BadActivation' uses activation value 42, which GenBias does not define; use Activation.Tanh, HardTanh, Sigmoid, ReLU, Linear or TernaryStep")]
    [InlineData("GB0008", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial class Twice;
        [TernaryNetwork(Inputs = 5)]
        public partial class Twice;
        """, "TernaryNetwork(Inputs = 5)", "'Twice' has more than one [TernaryNetwork]; declare it once, on one part of the class")]
    [InlineData("GB0009", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(2, Activation.Tanh)] [Dense(2, Activation.Tanh)] [Dense(2, Activation.Tanh)]
        [Dense(2, Activation.Tanh)] [Dense(2, Activation.Tanh)] [Dense(2, Activation.Tanh)]
        [Dense(2, Activation.Tanh)] [Dense(2, Activation.Tanh)] [Dense(3, Activation.Linear)]
        public partial class Deep;
        """, "Dense(3, Activation.Linear)", "'Deep' declares 9 [Dense] layers; a network has at most 8")]
    [InlineData("GB0010", """
        [Dense(1, Activation.Tanh)]
        public partial class Orphan;
        """, "Dense(1, Activation.Tanh)",
        "'Orphan' has [Dense] layers but no [TernaryNetwork]; add [TernaryNetwork(Inputs = n)] to the class")]
    [InlineData("GB0011", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public static partial class Static;
        """, "TernaryNetwork(Inputs = 4)", "'Static' is static; a network holds its parameters in an instance, so remove 'static'")]
    [InlineData("GB0012", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Above = 0.5, AtLeast = 1.5)]
        public partial class Fraction;
        """, "AtLeast = 1.5", "[Prefer] on 'Fraction' sets AtLeast = 1.5; a fraction of inputs must be between 0 and 1")]
    [InlineData("GB0013", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Above = 0.5, AtLeast = 0.5, AtMost = 0.7)]
        public partial class TwoRelations;
        """, "Prefer(Above = 0.5, AtLeast = 0.5, AtMost = 0.7)", "[Prefer] on 'TwoRelations' sets AtLeast and AtMost; set exactly one of AtLeast, AtMost or About")]
    [InlineData("GB0014", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Above = 0.5, Below = 0.2, AtLeast = 0.5)]
        public partial class Empty;
        """, "Below = 0.2", "[Prefer] on 'Empty' asks for activations above 0.5 and below 0.2, which is empty; set Above, Below, or both with Above < Below")]
    [InlineData("GB0015", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Sigmoid)]
        [Prefer(Below = 0, AtLeast = 0.5)]
        public partial class OutsideRange;
        """, "Prefer(Below = 0, AtLeast = 0.5)", "[Prefer] on 'OutsideRange' asks for activations in (-∞, 0), but Sigmoid produces values in (0, 1), so no input can meet it")]
    [InlineData("GB0016", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(3, Activation.Tanh)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Layer = 0, Neuron = 3, Above = 0, AtLeast = 0.5)]
        public partial class NoSuchNeuron;
        """, "Neuron = 3", "[Prefer] on 'NoSuchNeuron' names neuron 3 of layer 0, which does not exist; the network has layers 0 to 1 (-1 is the output) and layer widths 3, 1")]
    [InlineData("GB0017", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Above = 0, AtLeast = 0.5, Over = PreferenceDistribution.Product)]
        public partial class Product;
        """, "Over = PreferenceDistribution.Product", "[Prefer] on 'Product': a product distribution needs per-input probabilities, which an attribute cannot hold; build the Preference at run time")]
    [InlineData("GB0018", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial struct Item1Struct;
        """, "TernaryNetwork(Inputs = 4)", "'Item1Struct' is a struct; a network holds its parameters and tables by reference, so declare it as a partial class or partial record class")]
    [InlineData("GB0018", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial record struct Item1RecordStruct;
        """, "TernaryNetwork(Inputs = 4)", "'Item1RecordStruct' is a record struct; a network holds its parameters and tables by reference, so declare it as a partial class or partial record class")]
    [InlineData("GB0018", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial interface IItem1Interface;
        """, "TernaryNetwork(Inputs = 4)", "'IItem1Interface' is an interface; a network holds its parameters and tables by reference, so declare it as a partial class or partial record class")]
    [InlineData("GB0019", """
        [TernaryNetwork(Inputs = 3)]
        [Dense(4, Activation.Tanh)]
        public partial class Item2Split;
        [Dense(1, Activation.Sigmoid)]
        public partial class Item2Split;
        """, "Dense(1, Activation.Sigmoid)", "'Item2Split' has [Dense] layers on more than one partial declaration, so their order would follow the order of files; put every [Dense] on one declaration")]
    [InlineData("GB0020", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        file partial class Item7FileLocal;
        """, "TernaryNetwork(Inputs = 4)", "'Item7FileLocal' is declared 'file', so the generated code (another file) cannot add to it; remove the 'file' modifier")]
    [InlineData("GB0021", """
        [Prefer(Above = 0.5, AtLeast = 0.6)]
        public partial class Item8OrphanPrefer;
        """, "Prefer(Above = 0.5, AtLeast = 0.6)", "'Item8OrphanPrefer' has [Prefer] but no [TernaryNetwork(Inputs = n)], so nothing would use it; add the network attribute and its [Dense] layers")]
    [InlineData("GB0017", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(3, Activation.Tanh)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Layer = 0, Neuron = 1, Above = 0, AtLeast = 0.5, Method = EnforcementMethod.Calibration)]
        public partial class Item8HiddenCalibration;
        """, "Method = EnforcementMethod.Calibration", "[Prefer] on 'Item8HiddenCalibration': Calibration shifts the output bias, so it needs the single output neuron, an interval open on one side (Above or Below alone), an output activation other than TernaryStep, and Over = UniformCube; use ProxyLagrangian or Penalty otherwise")]
    [InlineData("GB0017", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(3, Activation.Tanh)]
        [Dense(1, Activation.Tanh)]
        [Prefer(Above = 0.5, AtLeast = 0.6, Method = EnforcementMethod.Projection)]
        public partial class OutputProjection;
        """, "Method = EnforcementMethod.Projection", "[Prefer] on 'OutputProjection': Projection clamps a first-layer neuron's bias, so it needs a single neuron of layer 0, an interval open on one side (Above or Below alone), an activation other than TernaryStep, Over = UniformCube and at most 1024 inputs; use ProxyLagrangian or Penalty otherwise")]
    [InlineData("GB0022", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial class Item3Conflict
        {
            public const int ParameterCount = 3;
        }
        """, "ParameterCount", "'Item3Conflict.ParameterCount' has a name the generated network code uses; rename it (GenBias generates the members of ITernaryNetwork, the layout constants, Shape, Preferences, Path, and private helpers such as _parameters and Run)")]
    [InlineData("GB0022", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial class Item3Field
        {
            private int _parameters;
        }
        """, "_parameters", "'Item3Field._parameters' has a name the generated network code uses; rename it (GenBias generates the members of ITernaryNetwork, the layout constants, Shape, Preferences, Path, and private helpers such as _parameters and Run)")]
    [InlineData("GB0023", """
        [TernaryNetwork(Inputs = 4)]
        [Dense(1, Activation.Tanh)]
        public partial class Item4Base;
        [TernaryNetwork(Inputs = 5)]
        [Dense(2, Activation.Tanh)]
        public partial class Item4Derived : Item4Base;
        """, "TernaryNetwork(Inputs = 5)", "'Item4Derived' derives from 'Item4Base', which is a network already, so every generated member would hide one of the base; derive from object (share code by composition) or drop [TernaryNetwork] here")]
    public void Invalid_spec_reports_the_diagnostic_at_the_attribute(string id, string body, string underlined, string message)
    {
        string source = "using GenBias;\nnamespace Specs;\n" + body;
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);

        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        TextSpan span = diagnostic.Location.SourceSpan;
        Assert.Equal(underlined, source.Substring(span.Start, span.Length));
        Assert.Equal("Spec.cs", diagnostic.Location.GetLineSpan().Path);

        // An invalid spec generates nothing (the diagnostic is the whole answer, never a half-built class); a valid
        // class beside it (the base of GB0023) is generated as usual.
        Assert.Equal(id == "GB0023" ? 1 : 0, result.Results.Single().GeneratedSources.Length);
    }

    [Fact]
    public void Every_runtime_activation_is_known_to_the_generator_by_name_and_value()
    {
        string[] names = System.Enum.GetNames<Activation>();
        Assert.Equal(names, TernaryNetworkGenerator.ActivationNames);
        foreach (Activation activation in System.Enum.GetValues<Activation>())
        {
            Assert.Equal(activation.ToString(), TernaryNetworkGenerator.ActivationNames[(int)activation]);
        }

        // The preference enums the generator writes by name (attributes and model files).
        Assert.Equal(System.Enum.GetNames<PreferenceRelation>(), TernaryNetworkGenerator.Relations);
        Assert.Equal(System.Enum.GetNames<PreferenceDistribution>(), TernaryNetworkGenerator.Distributions);
        Assert.Equal(System.Enum.GetNames<EnforcementMethod>(), TernaryNetworkGenerator.Methods);
    }

    [Fact]
    public void Several_errors_in_one_spec_are_all_reported()
    {
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run("""
            using GenBias;
            [TernaryNetwork(Inputs = 0)]
            [Dense(-3, Activation.Tanh)]
            public class Broken;
            """);
        Assert.Equal(["GB0001", "GB0005", "GB0006"], result.Diagnostics.Select(d => d.Id).Order().ToArray());
    }

    [Theory]
    [InlineData("public partial record class Item1Record;")]
    [InlineData("public partial record Item1Positional(int X);")]
    [InlineData("public sealed partial class Item1Sealed;")]
    [InlineData("public partial class UsesSystemIoPath { public static string Where() => System.IO.Path.Combine(\"a\", \"b\") + Path.GetFileName(\"c/d\"); }")]
    public void Item1_records_and_sealed_classes_are_networks(string declaration)
    {
        string source = "using GenBias;\nusing System.IO;\nnamespace Specs;\n[TernaryNetwork(Inputs = 3)]\n[Dense(1, Activation.Tanh)]\n" + declaration;
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.Results.Single().GeneratedSources);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output));
    }
}

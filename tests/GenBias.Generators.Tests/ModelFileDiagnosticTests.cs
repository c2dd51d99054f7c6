using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// [TernaryNetwork(Model = …)]: a model file that is missing, unreadable, not JSON, not a valid model or not the
/// declared shape is a diagnostic at the attribute's Model argument, with the JSON line and position where one applies.
/// </summary>
public class ModelFileDiagnosticTests
{
    // 3 → Dense(2, Tanh) → Dense(1, Sigmoid): 11 parameters, the first layer on the grid (multiples of 2^-16).
    private const string Valid = """
        {
          "formatVersion": 1,
          "shape": { "inputs": 3, "layers": [ { "width": 2, "activation": "Tanh" }, { "width": 1, "activation": "Sigmoid" } ] },
          "parameters": [ 0.5, -0.25, 0.125, 1, -1, 0.75, 0.0625, -0.5, 0.3, -0.7, 0.1 ],
          "preferences": [ { "layer": -1, "neuron": 0, "lower": 0.5, "lowerInclusive": true, "relation": "AtLeast", "target": 0.6, "tolerance": 0.01, "distribution": "UniformCube", "method": "ProxyLagrangian" } ]
        }
        """;

    private static (GeneratorDriverRunResult Result, Compilation Output, string Source) Run(string body, params (string Path, string Text)[] files)
    {
        string source = "using GenBias;\nnamespace Specs;\n" + body;
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source,
            [.. files.Select(f => new InMemoryAdditionalText(f.Path, f.Text))]);
        return (result, output, source);
    }

    [Fact]
    public void A_valid_model_file_compiles_into_a_network_with_no_diagnostics()
    {
        (GeneratorDriverRunResult result, Compilation output, _) = Run("""[TernaryNetwork(Model = "tiny.json")] public partial class Tiny;""",
            ("/repo/app/tiny.json", Valid));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output));
        // Long generated lines are wrapped: compare with every line break and its indentation read as one space.
        string generated = System.Text.RegularExpressions.Regex.Replace(result.Results.Single().GeneratedSources.Single().SourceText.ToString(), @"\s*\n\s*", " ");
        Assert.Contains("public Tiny() => SetParameters(", generated);
        // Inclusive bounds survive: the preference is the file's, not a rounded copy.
        Assert.Contains("new GB::ActivationInterval(0.5, double.PositiveInfinity, true, false)", generated);
    }

    [Theory]
    [InlineData("GB0024", "missing.json", "'Tiny' names the model file 'missing.json', which is not among the project's AdditionalFiles; add <AdditionalFiles Include=\"missing.json\" /> to the project file")]
    [InlineData("GB0024", "other/tiny.json", "'Tiny' names the model file 'other/tiny.json', which is not among the project's AdditionalFiles (an AdditionalFiles item '/repo/app/tiny.json' has its name but not its path); add <AdditionalFiles Include=\"other/tiny.json\" /> to the project file")]
    public void A_model_file_that_is_not_an_additional_file_is_reported(string id, string name, string message)
    {
        (GeneratorDriverRunResult result, _, string source) = Run($$"""[TernaryNetwork(Model = "{{name}}")] public partial class Tiny;""",
            ("/repo/app/tiny.json", Valid));
        AssertOne(result, source, id, message, $"Model = \"{name}\"");
    }

    [Theory]
    [InlineData("{ \"formatVersion\": 1,\n  \"shape\": { \"inputs\": 3 ", "line 2, position 26: the file ends inside an object")]
    [InlineData("{ \"formatVersion\": 1, \"formatVersion\": 1 }", "line 1, position 23: the property 'formatVersion' appears twice")]
    [InlineData("{ \"formatVersion\": 3 }", "line 1, position 20: format version 3 was written by a newer GenBias; this one reads versions 1 to 2")]
    [InlineData("[1, 2]", "line 1, position 1: the file is an array, expected an object")]
    [InlineData("{ \"formatVersion\": 1, \"shape\": { \"inputs\": 3, \"layers\": [ { \"width\": 1, \"activation\": \"Tanh, Tanh\" } ] }, \"parameters\": [] }",
        "line 1, position 87: shape.layers[0].activation is 'Tanh, Tanh'; expected one of Tanh, HardTanh, Sigmoid, ReLU, Linear, TernaryStep")]
    [InlineData("{ \"formatVersion\": 1, \"shape\": { \"inputs\": 3, \"layers\": [ { \"width\": 1, \"activation\": \"Tanh\" } ] }, \"parameters\": [1, 2] }",
        "line 1, position 115: 2 parameters, but the shape 3 → Dense(1, Tanh) has 4")]
    [InlineData("{ \"formatVersion\": 1, \"shape\": { \"inputs\": 3, \"layers\": [ { \"width\": 1, \"activation\": \"Tanh\" } ] }, \"parameters\": [1, 2, 1e39, 0] }",
        "line 1, position 122: parameters[2] (layer 0, neuron 0, weight of input 2) is 1e39, not a finite float")]
    [InlineData("{ \"formatVersion\": 1, \"shape\": { \"inputs\": 2000, \"layers\": [] }, \"parameters\": [] }",
        "line 1, position 44: shape.inputs is 2000; a network has 1 to 1024 inputs")]
    [InlineData("{ \"formatVersion\": 1, \"extra\": 0 }", "line 1, position 32: unknown property 'extra' in the file (a model file has formatVersion, shape, parameters, preferences, training)")]
    public void An_invalid_model_file_is_reported_with_its_line_and_position(string json, string where)
    {
        (GeneratorDriverRunResult result, _, string source) = Run("""[TernaryNetwork(Model = "tiny.json")] public partial class Tiny;""",
            ("/repo/app/tiny.json", json));
        AssertOne(result, source, "GB0025", $"'Tiny' cannot be compiled from its model file: /repo/app/tiny.json, {where}", "Model = \"tiny.json\"");
    }

    [Fact]
    public void A_name_matching_several_additional_files_is_ambiguous()
    {
        (GeneratorDriverRunResult result, _, string source) = Run("""[TernaryNetwork(Model = "tiny.json")] public partial class Tiny;""",
            ("/repo/a/tiny.json", Valid), ("/repo/b/tiny.json", Valid));
        AssertOne(result, source, "GB0025",
            "'Tiny' cannot be compiled from its model file: 'tiny.json' matches 2 AdditionalFiles items (/repo/a/tiny.json, /repo/b/tiny.json); give more of its path",
            "Model = \"tiny.json\"");
        (result, _, _) = Run("""[TernaryNetwork(Model = "b/tiny.json")] public partial class Tiny;""", ("/repo/a/tiny.json", Valid), ("/repo/b/tiny.json", Valid));
        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("[TernaryNetwork(Inputs = 4, Model = \"tiny.json\")]", "Inputs = 4", "3 inputs → Dense(2, Tanh) → Dense(1, Sigmoid)")]
    [InlineData("[TernaryNetwork(Inputs = 3, Model = \"tiny.json\")][Dense(2, Activation.Tanh)][Dense(1, Activation.Tanh)]",
        "3 inputs → Dense(2, Tanh) → Dense(1, Tanh)", "3 inputs → Dense(2, Tanh) → Dense(1, Sigmoid)")]
    public void A_declared_shape_that_disagrees_with_the_file_is_reported(string attributes, string declared, string inFile)
    {
        (GeneratorDriverRunResult result, _, string source) = Run(attributes + " public partial class Tiny;", ("/repo/app/tiny.json", Valid));
        AssertOne(result, source, "GB0026",
            $"'Tiny' declares {declared}, but its model file 'tiny.json' holds {inFile}; make them agree, or drop Inputs and [Dense] to take the shape from the file",
            "Model = \"tiny.json\"");
    }

    [Fact]
    public void A_declared_shape_that_agrees_is_accepted_and_its_prefer_attributes_replace_the_files()
    {
        (GeneratorDriverRunResult result, Compilation output, _) = Run(
            "[TernaryNetwork(Inputs = 3, Model = \"tiny.json\")][Dense(2, Activation.Tanh)][Dense(1, Activation.Sigmoid)][Prefer(Below = 0.5, AtMost = 0.3)] public partial class Tiny;",
            ("/repo/app/tiny.json", Valid));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output));
        string generated = result.Results.Single().GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("PreferenceRelation.AtMost", generated);
        Assert.DoesNotContain("PreferenceRelation.AtLeast", generated);
    }

    [Fact]
    public void A_model_with_cube_preferences_off_the_grid_gets_a_warning_and_still_compiles()
    {
        string offGrid = Valid.Replace("0.5, -0.25", "0.50001, -0.25");
        (GeneratorDriverRunResult result, Compilation output, string source) = Run("""[TernaryNetwork(Model = "tiny.json")] public partial class Tiny;""",
            ("/repo/app/tiny.json", offGrid));
        Diagnostic warning = Assert.Single(result.Diagnostics);
        Assert.Equal("GB0027", warning.Id);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Contains("parameters[0] = 0.50001 is not a multiple of 2^-16", warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Single(result.Results.Single().GeneratedSources);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output).Where(d => d.Id != "GB0027"));
    }

    [Fact]
    public void Prefer_without_a_declared_shape_and_a_parameterless_constructor_are_reported()
    {
        (GeneratorDriverRunResult result, _, string source) = Run("""[TernaryNetwork(Model = "tiny.json")][Prefer(Above = 0.5, AtLeast = 0.5)] public partial class Tiny;""",
            ("/repo/app/tiny.json", Valid));
        Assert.Equal("GB0028", Assert.Single(result.Diagnostics).Id);

        (result, _, source) = Run("""
            [TernaryNetwork(Model = "tiny.json")]
            public partial class Tiny
            {
                public Tiny() { }
            }
            """, ("/repo/app/tiny.json", Valid));
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("GB0029", diagnostic.Id);
        TextSpan span = diagnostic.Location.SourceSpan;
        Assert.Equal("Tiny", source.Substring(span.Start, span.Length));
    }

    private static void AssertOne(GeneratorDriverRunResult result, string source, string id, string message, string underlined)
    {
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        TextSpan span = diagnostic.Location.SourceSpan;
        Assert.True(span.Length > 0, $"{id} at {diagnostic.Location} ({diagnostic.Location.Kind})");
        Assert.Equal(underlined, source.Substring(span.Start, span.Length));
        Assert.Empty(result.Results.Single().GeneratedSources);
    }
}

/// <summary>The largest shape the limits allow, compiled in from a model file: generated, compiled, timed.</summary>
public class LargeModelFileTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void The_largest_allowed_shape_compiles_in_from_its_model_file()
    {
        // 1024 inputs and seven hidden layers of 256 (the limits: 1024 inputs, width 256, 8 layers): 657,409 parameters.
        var layers = new System.Collections.Generic.List<(int, Activation)> { (256, Activation.Tanh) };
        for (int l = 1; l < 8 - 1; l++)
        {
            layers.Add((256, Activation.ReLU));
        }

        layers.Add((1, Activation.Sigmoid));
        NetworkShape shape = NetworkShape.Create(1024, [.. layers]);
        var random = new System.Random(3);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5) / 16)];
        var json = new System.Text.StringBuilder("{ \"formatVersion\": 1, \"shape\": { \"inputs\": 1024, \"layers\": [");
        json.Append(string.Join(", ", shape.Layers.Select(l => $"{{ \"width\": {l.Width}, \"activation\": \"{l.Activation}\" }}")));
        json.Append("] }, \"parameters\": [");
        json.Append(string.Join(",\n", parameters.Select(p => p.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        json.Append("] }");

        // The same shape declared with attributes (no parameters embedded): what the shape alone costs the compiler.
        // Run once first, unmeasured, so that neither measurement includes the compiler's own warm-up.
        string attributes = "using GenBias;\n[TernaryNetwork(Inputs = 1024)] " +
            string.Concat(shape.Layers.Select(l => $"[Dense({l.Width}, Activation.{l.Activation})] ")) + "public partial class Big;";
        (double generatePlain, double compilePlain, _, _) = GenerateAndCompile(attributes);
        (generatePlain, compilePlain, _, _) = GenerateAndCompile(attributes);
        (double generate, double compile, GeneratorDriverRunResult result, byte[] assembly) =
            GenerateAndCompile("using GenBias;\n[TernaryNetwork(Model = \"big.json\")] public partial class Big;", new InMemoryAdditionalText("/p/big.json", json.ToString()));
        Assert.Empty(result.Diagnostics);
        string source = result.Results.Single().GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("private const string EmbeddedParameterBase64", source);
        // The base64 text decodes to exactly the file's parameters.
        var context = new System.Runtime.Loader.AssemblyLoadContext("large-" + System.Guid.NewGuid(), isCollectible: true);
        var network = (ITernaryNetwork)System.Activator.CreateInstance(context.LoadFromStream(new System.IO.MemoryStream(assembly)).GetType("Big", true)!)!;
        Assert.True(System.MemoryExtensions.SequenceEqual(network.Parameters, parameters));
        context.Unload();
        output.WriteLine($"{shape.ParameterCount:N0} parameters, model file {json.Length / 1e6:F1} MB: generator {generate:F2} s, " +
                         $"generated source {source.Length / 1e6:F1} MB, compile and emit {compile:F2} s, assembly {assembly.Length / 1e6:F1} MB; " +
                         $"the same shape from attributes: generator {generatePlain:F2} s, compile and emit {compilePlain:F2} s");
    }

    private static (double Generate, double Compile, GeneratorDriverRunResult Result, byte[] Assembly) GenerateAndCompile(string source, params InMemoryAdditionalText[] files)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (GeneratorDriverRunResult result, Compilation compiled) = GeneratorHarness.Run(source, files);
        double generate = clock.Elapsed.TotalSeconds;
        clock.Restart();
        using var stream = new System.IO.MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emit = compiled.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Take(5)));
        return (generate, clock.Elapsed.TotalSeconds, result, stream.ToArray());
    }
}

/// <summary>Model names and [Prefer] intervals the first pass let through.</summary>
public class ModelNameAndRangeTests
{
    [Fact]
    public void Item16_an_empty_model_name_is_GB0024_not_a_missing_shape()
    {
        const string source = "using GenBias;\n[TernaryNetwork(Model = \"\")] public partial class Tiny;";
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("GB0024", diagnostic.Id);
        Assert.Contains("'Tiny' names the model file '', which is not among the project's AdditionalFiles (the name is empty: give the model file's path)",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        TextSpan span = diagnostic.Location.SourceSpan;
        Assert.Equal("Model = \"\"", source.Substring(span.Start, span.Length));

        (result, _) = GeneratorHarness.Run("using GenBias;\n[TernaryNetwork(Model = \"  \")] public partial class Tiny;");
        Assert.Equal("GB0024", Assert.Single(result.Diagnostics).Id);
    }

    [Fact]
    public void Item16_an_interval_beyond_tanhs_float_extremes_is_refused_where_it_is_written()
    {
        // Tanh gives at most 0.99999994 in float (at x = 7.8673816): above 0.9999999 is reachable, above 0.99999995 is not.
        (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(
            "using GenBias;\n[TernaryNetwork(Inputs = 3)][Dense(1, Activation.Tanh)][Prefer(Above = 0.9999999, AtLeast = 0.5)] public partial class Reachable;");
        Assert.Empty(result.Diagnostics);

        const string source = "using GenBias;\n[TernaryNetwork(Inputs = 3)][Dense(1, Activation.Tanh)][Prefer(Above = 0.99999995, AtLeast = 0.5)] public partial class Unreachable;";
        (result, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("GB0015", diagnostic.Id);
        Assert.Equal("[Prefer] on 'Unreachable' asks for activations in (0.99999995, ∞), but Tanh produces values in [-0.9999999403953552, 0.9999999403953552] " +
                     "(the extremes float arithmetic gives; (-1, 1) in exact arithmetic), so no input can meet it",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        // The runtime applies the same rule to the same preference.
        Assert.Throws<System.ArgumentException>(() => Preference.OutputAbove(0.99999995, 0.5).Validate(NetworkShape.Create(3, (1, Activation.Tanh))));
        Preference.OutputAbove(0.9999999, 0.5).Validate(NetworkShape.Create(3, (1, Activation.Tanh)));
    }
}

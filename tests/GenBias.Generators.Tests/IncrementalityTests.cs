using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>Edits that do not change a spec must not rerun emission (the Regex generator's UnrelatedCodeChange test).</summary>
public class IncrementalityTests
{
    private const string Spec = """
        using GenBias;
        namespace Specs;
        [TernaryNetwork(Inputs = 25)]
        [Dense(16, Activation.Tanh)]
        [Dense(1, Activation.Tanh)]
        public partial class Seed;
        """;

    [Fact]
    public void A_comment_only_edit_leaves_every_tracked_step_cached()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Spec);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);

        // The comment goes before the class, so every syntax position after it moves.
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Spec.Replace("[TernaryNetwork", "// a comment\n[TernaryNetwork"),
            GeneratorHarness.ParseOptions, "Spec.cs");
        Compilation second = first.ReplaceSyntaxTree(first.SyntaxTrees.Single(), edited);
        driver = driver.RunGenerators(second);

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        string[] tracked = [TernaryNetworkGenerator.TrackingNames.Extract, TernaryNetworkGenerator.TrackingNames.Models];
        foreach (string name in tracked)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"step {name} is not tracked");
            foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[name])
            {
                foreach ((object _, IncrementalStepRunReason reason) in step.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                        $"step {name} output was {reason}");
                }
            }
        }

        // And the source output was not produced again.
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output was {output.Reason}"));
    }

    [Fact]
    public void Changing_a_width_regenerates()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Spec);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Spec.Replace("Dense(16", "Dense(12"), GeneratorHarness.ParseOptions, "Spec.cs");
        driver = driver.RunGenerators(first.ReplaceSyntaxTree(first.SyntaxTrees.Single(), edited));

        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TernaryNetworkGenerator.TrackingNames.Models].SelectMany(s => s.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Dense(12, Tanh)", result.GeneratedSources.Single().SourceText.ToString());
    }

    private const string ModelSpec = """
        using GenBias;
        namespace Specs;
        [TernaryNetwork(Model = "tiny.json")]
        public partial class Compiled;
        [TernaryNetwork(Inputs = 25)]
        [Dense(16, Activation.Tanh)]
        [Dense(1, Activation.Tanh)]
        public partial class Plain;
        """;

    private const string TinyModel = """
        { "formatVersion": 1, "shape": { "inputs": 3, "layers": [ { "width": 1, "activation": "Tanh" } ] }, "parameters": [ 0.5, -0.25, 0.125, 1 ] }
        """;

    /// <summary>The reasons of the source outputs, by hint name.</summary>
    private static System.Collections.Generic.Dictionary<string, IncrementalStepRunReason> Outputs(GeneratorDriver driver)
    {
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        var reasons = new System.Collections.Generic.Dictionary<string, IncrementalStepRunReason>();
        foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[TernaryNetworkGenerator.TrackingNames.Models])
        {
            foreach ((object value, IncrementalStepRunReason reason) in step.Outputs)
            {
                reasons[((NetworkModel)value).TypeName] = reason;
            }
        }

        return reasons;
    }

    [Fact]
    public void Editing_a_model_file_regenerates_only_its_network_and_an_unrelated_file_regenerates_nothing()
    {
        var model = new InMemoryAdditionalText("/repo/tiny.json", TinyModel);
        var unrelated = new InMemoryAdditionalText("/repo/notes.txt", "hello");
        CSharpCompilation compilation = GeneratorHarness.Compilation(ModelSpec);
        GeneratorDriver driver = GeneratorHarness.Driver(model, unrelated).RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);

        // An unrelated additional file changes: both networks resolve to equal models; nothing is emitted again.
        var notes = new InMemoryAdditionalText("/repo/notes.txt", "hello again");
        driver = driver.ReplaceAdditionalText(unrelated, notes).RunGenerators(compilation);
        Assert.All(Outputs(driver), o => Assert.True(o.Value is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{o.Key}: {o.Value}"));

        // The model file changes (one parameter): that network is regenerated with the new bits, the other is not.
        var edited = new InMemoryAdditionalText("/repo/tiny.json", TinyModel.Replace("0.125", "0.375"));
        driver = driver.ReplaceAdditionalText(model, edited).RunGenerators(compilation);
        var reasons = Outputs(driver);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["Compiled"]);
        Assert.True(reasons["Plain"] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Plain: {reasons["Plain"]}");
        string source = driver.GetRunResult().Results.Single().GeneratedSources.Single(g => g.HintName.Contains("Compiled")).SourceText.ToString();
        Assert.Contains($"0x{System.BitConverter.SingleToInt32Bits(0.375f):X8}", source);
    }
}

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
}

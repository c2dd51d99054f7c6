using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>The generated code compiles cleanly whatever names the user's code already uses.</summary>
public class UserEnvironmentTests
{
    [Fact]
    public void User_types_named_like_the_generated_code_uses_capture_nothing()
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run("""
            global using System;
            global using System.Linq;
            global using System.Runtime.Intrinsics;
            using GenBias;

            namespace MyApp
            {
                // Types of the user's namespace shadow imported names: the generated code must not rely on imports.
                public enum Activation { On, Off }
                public static class Unsafe { }
                public static class MemoryMarshal { }
                public sealed class Vector256 { }
                public sealed class Vector512 { }
                public sealed class TernaryInput { }
                public sealed class CanonicalSum { }
                public sealed class ActivationMath { }
                public struct Span<T> { }
                public struct ReadOnlySpan<T> { }

                [TernaryNetwork(Inputs = 25)]
                [Dense(16, GenBias.Activation.Tanh)]
                [Dense(3, GenBias.Activation.Sigmoid)]
                [Prefer(Above = 0.5, AtLeast = 0.6)]
                public partial class Net;
            }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.Results.Single().GeneratedSources);
        Assert.Empty(GeneratorHarness.WarningsAndErrors(output));
    }
}

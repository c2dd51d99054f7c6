using System;
using System.Globalization;

namespace SeedNeuron;

/// <summary>The example's command line: the default run, <c>--full-count [--leaf N]</c> and <c>--help</c>.</summary>
public sealed record Arguments(bool Help, bool FullCount, int? Leaf)
{
    /// <summary>The largest --leaf: a top-level sub-cube of the 25 inputs has 25 − 6 free inputs.</summary>
    public const int MaxLeaf = 19;

    /// <summary>What --help prints.</summary>
    public const string Usage = """
        The 25-input majority problem: can a neuron with 25 ternary inputs put the majority of all 3^25 inputs above 0.5 and still classify?

        Usage: dotnet run --project examples/SeedNeuron -c Release -- [options]

          (no option)      train 25 -> 1 and 25 -> 16 -> 1 with and without the preference, certify them, save the
                           models and certificates under bin/.../models
          --full-count     count all 3^25 inputs of the saved 25 -> 16 -> 1 model exactly (hours; run the example once
                           without options first). Progress is printed; a checkpoint beside the model is rewritten every
                           30 s and on Ctrl-C, and running --full-count again resumes from it.
          --leaf N         with --full-count: sub-cubes of N free inputs (1 to 19) are enumerated, larger ones are first
                           tested by bounds (default: the library's choice)
          --help, -h       this text
        """;

    /// <summary>Reads the arguments.</summary>
    /// <exception cref="ArgumentException">An unknown option, or --leaf without a whole number from 1 to <see cref="MaxLeaf"/>.</exception>
    public static Arguments Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool help = false, fullCount = false;
        int? leaf = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h" or "-?":
                    help = true;
                    break;
                case "--full-count":
                    fullCount = true;
                    break;
                case "--leaf":
                    string? value = i + 1 < args.Length ? args[++i] : null;
                    if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) || n is < 1 or > MaxLeaf)
                    {
                        throw new ArgumentException(value is null
                            ? $"--leaf needs a number of free inputs, from 1 to {MaxLeaf}."
                            : $"--leaf {value}: give a whole number of free inputs from 1 to {MaxLeaf}.");
                    }

                    leaf = n;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'; the options are --full-count, --leaf N and --help.");
            }
        }

        if (leaf is not null && !fullCount && !help)
        {
            throw new ArgumentException("--leaf applies to --full-count only.");
        }

        return new Arguments(help, fullCount, leaf);
    }
}

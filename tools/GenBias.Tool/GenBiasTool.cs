using System;
using System.Collections.Generic;
using System.IO;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenBias.Tool;

/// <summary>
/// The <c>genbias</c> command line: train from CSV, certify, calibrate, export to ONNX, print a model's C# declaration
/// and describe it. Any shape runs through <see cref="ReferenceNetwork"/>, which has the bits of generated code.
/// Errors are one line on standard error and exit code 1; <c>--help</c> works on every command.
/// </summary>
public static class GenBiasTool
{
    /// <summary>Runs the tool; returns the exit code.</summary>
    public static int Run(string[] args, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && SettingsOf.TryGetValue(args[0], out Type? settings) &&
            OptionCheck.FirstUnknown(args[0], settings, args[1..]) is { } unknown)
        {
            Console.Error.WriteLine($"genbias {unknown}");
            return 1;
        }

        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("genbias");
            config.UseStrictParsing();
            if (console != null)
            {
                config.ConfigureConsole(console);
            }

            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a network from a CSV file, with optional activation preferences, and save the model.")
                .WithExample("train", "data.csv", "--layers", "16:tanh,1:tanh", "--prefer", "output > 0.5 at-least 0.6", "--out", "model.json");
            config.AddCommand<CertifyCommand>("certify")
                .WithDescription("Count (or estimate) how many of the 3^n inputs meet each of the model's preferences; exit 2 if any is not met. " +
                                 "Each preference's certificate is saved beside the model: the first in model.certificate.json, the k-th in model.certificate.k.json.");
            config.AddCommand<CalibrateCommand>("calibrate")
                .WithDescription("Shift the output bias by the least amount that meets an output preference exactly; save the model.");
            config.AddCommand<ExportCommand>("export").WithDescription("Write the model as ONNX (opset 17).");
            config.AddCommand<GenerateCommand>("generate").WithDescription("Print the C# declaration of the model's network.");
            config.AddCommand<InfoCommand>("info").WithDescription("Describe a model file.");
            config.SetExceptionHandler((exception, _) =>
            {
                Exception shown = exception is CommandRuntimeException { InnerException: { } inner } ? inner : exception;
                Console.Error.WriteLine($"genbias: {shown.Message}");
                return 1;
            });
        });
        return app.Run(args);
    }

    /// <summary>Each command's settings, whose declared options are the only ones it accepts.</summary>
    private static readonly Dictionary<string, Type> SettingsOf = new(StringComparer.Ordinal)
    {
        ["train"] = typeof(TrainCommand.Settings),
        ["certify"] = typeof(CertifyCommand.Settings),
        ["calibrate"] = typeof(CalibrateCommand.Settings),
        ["export"] = typeof(ExportCommand.Settings),
        ["generate"] = typeof(GenerateCommand.Settings),
        ["info"] = typeof(ModelSettings),
    };

    /// <summary>Loads a model into a reference network of its shape.</summary>
    internal static (ReferenceNetwork Network, LoadedModel Model) Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{path} is a directory, not a model file.");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist.", path);
        }

        LoadedModel model = ModelFile.Load(path);
        return (new ReferenceNetwork(model.Shape, model.Parameters), model);
    }

    /// <summary>
    /// Throws unless <paramref name="path"/> can be written by the command: it is not a directory and its folder exists
    /// (a missing folder is refused rather than created, so a typo in a path is noticed before any work is done).
    /// </summary>
    internal static void CheckOutput(string path, string option)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{option} {path} is a directory; give a file name.");
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        if (!Directory.Exists(folder))
        {
            throw new ArgumentException(File.Exists(folder)
                ? $"{option} {path}: {folder} is a file, not a folder."
                : $"{option} {path}: the folder {folder} does not exist; create it first.");
        }
    }
}

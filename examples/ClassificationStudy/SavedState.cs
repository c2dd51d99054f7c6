using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GenBias;

namespace ClassificationStudy;

/// <summary>A run's saved state (finished cells or folds), so that an interrupted run continues where it stopped.</summary>
internal static class SavedState
{
    /// <summary>The state saved at <paramref name="path"/>, or a new one when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable state (its message says to delete it).</exception>
    public static T Load<T>(string path, JsonTypeInfo<T> type, string what)
        where T : new()
    {
        if (!File.Exists(path))
        {
            return new T();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type) ?? new T();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the saved {what} is not readable ({e.Message}); delete it to start over.", e);
        }
    }

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically.</summary>
    public static void Save<T>(string path, T state, JsonTypeInfo<T> type) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(state, type));
}

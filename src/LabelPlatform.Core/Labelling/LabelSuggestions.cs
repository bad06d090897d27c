using LabelPlatform.Core.Search;

namespace LabelPlatform.Core.Labelling;

public sealed record Suggestion(int ClassId, string ClassName, double Confidence, int Votes);

public sealed record ImageSuggestions(long ImageId, IReadOnlyList<Suggestion> Items, int NeighboursUsed);

/// <summary>
/// Class suggestions for images from their nearest labelled neighbours (the search service's exact index, kept in
/// step with new embeddings; labels from <see cref="NeighbourLabels"/>).
/// </summary>
public sealed class LabelSuggestions(NeighbourLabels neighbourLabels, LabelNames labelNames, SearchService search, LabellingSettingsService labellingSettings)
{
    public const int SuggestionNeighbours = 10;

    /// <summary>How many nearest images are searched for <see cref="SuggestionNeighbours"/> labelled ones.</summary>
    internal const int SearchDepth = 64;

    /// <summary>Top-3 classes among each image's <see cref="SuggestionNeighbours"/> nearest labelled neighbours; confidence = votes / neighbours.</summary>
    /// <param name="withImport">Whether import labels vote; null: as the dataset's settings show them to labellers (reviewers pass true).</param>
    public async Task<List<ImageSuggestions>> SuggestAsync(int datasetId, IReadOnlyList<long> imageIds, bool? withImport = null, CancellationToken cancellationToken = default)
    {
        var model = await neighbourLabels.ModelAsync(datasetId, cancellationToken);
        if (model is null || imageIds.Count == 0)
        {
            return [.. imageIds.Select(id => new ImageSuggestions(id, [], 0))];
        }

        var labels = await neighbourLabels.LabelsAsync(datasetId, withImport ?? (await labellingSettings.GetSettingsAsync(datasetId, cancellationToken)).ShowImportLabels, cancellationToken);
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        var vectors = await neighbourLabels.VectorsAsync(model.Id, imageIds, cancellationToken);
        var result = new List<ImageSuggestions>();
        foreach (var id in imageIds)
        {
            if (!vectors.TryGetValue(id, out var vector) || index.Count < 2)
            {
                result.Add(new ImageSuggestions(id, [], 0));
                continue;
            }

            var neighbours = index.Search(vector, Math.Min(SearchDepth, index.Count), null, id)
                .Where(h => labels.ContainsKey(h.Id)).Take(SuggestionNeighbours).Select(h => labels[h.Id]).ToList();
            var top = neighbours.GroupBy(c => c).Select(g => (Class: g.Key, Votes: g.Count()))
                .OrderByDescending(g => g.Votes).ThenBy(g => neighbours.IndexOf(g.Class)).Take(3)
                .Select(g => new Suggestion(g.Class, names.GetValueOrDefault(g.Class, "?"), Math.Round(g.Votes / (double)neighbours.Count, 3), g.Votes)).ToList();
            result.Add(new ImageSuggestions(id, top, neighbours.Count));
        }

        return result;
    }
}

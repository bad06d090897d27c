using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Datasets;

public sealed partial class DatasetService(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock)
{
    /// <summary>Names double as CLI arguments and URL parts: letters, digits, '-', '_' and '.'.</summary>
    public static bool IsValidName(string? name) => name is { Length: >= 1 and <= 100 } && NamePattern().IsMatch(name);

    public async Task<Dataset?> FindByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Name == name, cancellationToken);
    }

    /// <summary>Creates the dataset, or returns the existing one with that name.</summary>
    public async Task<Dataset> GetOrCreateAsync(string name, string? description, string? createdBy, CancellationToken cancellationToken = default)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid dataset name: use 1-100 letters, digits, '-', '_' or '.'", nameof(name));
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var existing = await db.Datasets.FirstOrDefaultAsync(d => d.Name == name, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }

        var dataset = new Dataset { Name = name, Description = description, CreatedBy = createdBy, CreatedAt = clock.GetUtcNow() };
        db.Datasets.Add(dataset);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return dataset;
        }
        catch (DbUpdateException)
        {
            // Created concurrently by someone else: theirs is as good as ours.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return await again.Datasets.FirstAsync(d => d.Name == name, cancellationToken);
        }
    }

    /// <summary>The id of the dataset's class with this name, or null.</summary>
    public async Task<int?> FindClassIdAsync(int datasetId, string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ImageClasses.Where(c => c.DatasetId == datasetId && c.Name == name).Select(c => (int?)c.Id).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Makes sure each class exists; returns name -> id for all of the dataset's classes.</summary>
    public async Task<Dictionary<string, int>> EnsureClassesAsync(int datasetId, IEnumerable<string> names, string? noiseClass, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var classes = await db.ImageClasses.Where(c => c.DatasetId == datasetId).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (!classes.Any(c => c.Name == name))
            {
                var added = new ImageClass { DatasetId = datasetId, Name = name, CreatedAt = now };
                db.ImageClasses.Add(added);
                classes.Add(added);
            }
        }

        await db.SaveChangesAsync(cancellationToken);

        if (!string.IsNullOrEmpty(noiseClass) && classes.FirstOrDefault(c => c.Name == noiseClass) is { } noise && !noise.IsNoise)
        {
            // Clear the old flag first: the one-noise-class index is checked row by row.
            foreach (var other in classes.Where(c => c.IsNoise))
            {
                other.IsNoise = false;
            }

            await db.SaveChangesAsync(cancellationToken);
            noise.IsNoise = true;
            await db.SaveChangesAsync(cancellationToken);
        }

        return classes.ToDictionary(c => c.Name, c => c.Id, StringComparer.Ordinal);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();
}

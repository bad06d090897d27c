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
    /// <summary>The names of a dataset's classes.</summary>
    public async Task<List<string>> ClassNamesAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ImageClasses.Where(c => c.DatasetId == datasetId).Select(c => c.Name).ToListAsync(cancellationToken);
    }

    /// <summary>Sets (or clears, with null) the key that picks a class on the labelling pages; one class per key.</summary>
    public async Task<string> SetHotkeyAsync(int datasetId, int classId, string? hotkey, CancellationToken cancellationToken = default)
    {
        if (hotkey is not null && !ImageClass.IsValidHotkey(hotkey))
        {
            throw new ClassEditException($"'{hotkey}' cannot be a hotkey: letters and digits type into the class filter, so use F1-F12 or Alt+ a letter or digit (e.g. Alt+A; Alt+{string.Join("/", ImageClass.ReservedAltKeys.ToCharArray())} are the pages' own actions).");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var target = await db.ImageClasses.FirstOrDefaultAsync(c => c.Id == classId && c.DatasetId == datasetId, cancellationToken)
            ?? throw new ClassEditException("That class is not in this dataset.");
        if (hotkey is not null && await db.ImageClasses.Where(c => c.DatasetId == datasetId && c.Hotkey == hotkey && c.Id != classId).Select(c => c.Name).FirstOrDefaultAsync(cancellationToken) is { } taken)
        {
            throw new ClassEditException($"{hotkey} already picks '{taken}'.");
        }

        target.Hotkey = hotkey;
        await db.SaveChangesAsync(cancellationToken);
        return target.Name;
    }

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

    /// <summary>
    /// Renames a class. Labels, votes and splits refer to the class by id, so they follow the new name; the label
    /// state hash covers names, so the next evaluation report records the change.
    /// </summary>
    public async Task<(string OldName, string NewName)> RenameClassAsync(int datasetId, int classId, string newName, CancellationToken cancellationToken = default)
    {
        newName = newName.Trim();
        if (!ImageClass.IsValidName(newName))
        {
            throw new ClassEditException($"Class names are 1-{ImageClass.MaxNameLength} characters without control characters.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var target = await db.ImageClasses.FirstOrDefaultAsync(c => c.Id == classId && c.DatasetId == datasetId, cancellationToken)
            ?? throw new ClassEditException("That class is not in this dataset (deleted meanwhile?).");
        var oldName = target.Name;
        if (oldName == newName)
        {
            return (oldName, newName);
        }

        if (await db.ImageClasses.AnyAsync(c => c.DatasetId == datasetId && c.Name == newName, cancellationToken))
        {
            throw new ClassEditException($"The dataset already has a class named '{newName}'.");
        }

        target.Name = newName;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The unique (dataset, name) index: someone added or renamed a class to this name in between.
            throw new ClassEditException($"The dataset already has a class named '{newName}'.");
        }

        return (oldName, newName);
    }

    /// <summary>What refers to a class: images imported with it, label events and votes, final labels, split rows.</summary>
    public sealed record ClassUse(int Images, int LabelEvents, int FinalLabels, int SplitImages)
    {
        public bool Any => Images + LabelEvents + FinalLabels + SplitImages > 0;

        public override string ToString()
        {
            static string Count(int n, string one, string many) => n == 0 ? "" : $"{n} {(n == 1 ? one : many)}";
            return string.Join(", ", new[]
            {
                Count(Images, "image imported with it", "images imported with it"), Count(LabelEvents, "label event", "label events"),
                Count(FinalLabels, "final label", "final labels"), Count(SplitImages, "evaluation split entry", "evaluation split entries"),
            }.Where(p => p.Length > 0));
        }
    }

    public async Task<ClassUse> ClassUseAsync(int classId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return new ClassUse(
            await db.Images.CountAsync(i => i.SourceClassId == classId, cancellationToken),
            await db.LabelEvents.CountAsync(e => e.ClassId == classId || e.SuggestedClassId == classId, cancellationToken),
            await db.FinalLabels.CountAsync(f => f.ClassId == classId, cancellationToken),
            await db.SplitImages.CountAsync(s => s.ClassId == classId, cancellationToken));
    }

    /// <summary>
    /// Deletes a class nothing refers to (a typo, a class added by mistake). A used class is kept: the audit trail is
    /// append-only and past reports name it; rename it instead.
    /// </summary>
    public async Task<string> DeleteClassAsync(int datasetId, int classId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var name = await db.ImageClasses.Where(c => c.Id == classId && c.DatasetId == datasetId).Select(c => c.Name).FirstOrDefaultAsync(cancellationToken)
            ?? throw new ClassEditException("That class is not in this dataset (deleted meanwhile?).");
        // One statement, so a label that arrives between a check and the delete cannot be orphaned.
        var deleted = await db.ImageClasses
            .Where(c => c.Id == classId && c.DatasetId == datasetId
                && !db.Images.Any(i => i.SourceClassId == classId)
                && !db.LabelEvents.Any(e => e.ClassId == classId || e.SuggestedClassId == classId)
                && !db.LabelVotes.Any(v => v.ClassId == classId)
                && !db.FinalLabels.Any(f => f.ClassId == classId)
                && !db.SplitImages.Any(s => s.ClassId == classId))
            .ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            var use = await ClassUseAsync(classId, cancellationToken);
            throw new ClassEditException($"'{name}' is in use ({(use.Any ? use.ToString() : "labels")}) and is kept: past labels and reports refer to it. Rename it instead.");
        }

        return name;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    /// <summary>How many offered files were copies of a kept image, and how many kept images had a copy with another label.</summary>
    public async Task<(int Copies, int Conflicts)> DuplicateCountsAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var copies = await db.DuplicateFiles.CountAsync(d => d.DatasetId == datasetId, cancellationToken);
        var conflicts = copies == 0 ? 0 : await db.DuplicateFiles.Where(d => d.DatasetId == datasetId)
            .Join(db.Images, d => d.ImageId, i => i.Id, (d, i) => new { d.ImageId, d.ClassId, i.SourceClassId })
            .Where(x => x.ClassId != x.SourceClassId).Select(x => x.ImageId).Distinct().CountAsync(cancellationToken);
        return (copies, conflicts);
    }

    /// <summary>
    /// Kept images with copies that came with another label (identical content under two classes), oldest first:
    /// the import kept one label, and a reviewer should say which is right.
    /// </summary>
    public async Task<List<LabelConflict>> LabelConflictsAsync(int datasetId, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.DuplicateFiles.AsNoTracking().Where(d => d.DatasetId == datasetId)
            .Join(db.Images, d => d.ImageId, i => i.Id, (d, i) => new { d.ImageId, d.Origin, d.ClassId, KeptOrigin = i.Origin, i.SourceClassId })
            .ToListAsync(cancellationToken);
        return [.. rows.GroupBy(r => r.ImageId)
            .Where(g => g.Any(r => r.ClassId != r.SourceClassId))
            .OrderBy(g => g.Key)
            .Take(limit)
            .Select(g => new LabelConflict(g.Key, g.First().KeptOrigin, g.First().SourceClassId,
                [.. g.OrderBy(r => r.Origin, StringComparer.Ordinal).Select(r => (r.Origin, r.ClassId))]))];
    }
}

/// <summary>A class edit that cannot be done; the message says why and is shown as it is.</summary>
public sealed class ClassEditException(string message) : Exception(message);

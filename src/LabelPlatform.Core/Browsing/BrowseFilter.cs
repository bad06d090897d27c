namespace LabelPlatform.Core.Browsing;

/// <summary>How the browser orders the images that pass the filters.</summary>
public enum BrowseSort
{
    Id = 0,

    /// <summary>Most similar to <see cref="BrowseFilter.LikeImageId"/> first (the dataset's model, exact index).</summary>
    Similar = 1,

    /// <summary>Images whose nearest labelled neighbours disagree with their human label first, as the review queue orders them.</summary>
    Disagreement = 2,

    /// <summary>Most unique first: the largest distance to the nearest other image of the dataset (LightlyStudio's uniqueness).</summary>
    Uniqueness = 3,
}

/// <summary>Where an image stands in labelling; each image is in exactly one state.</summary>
public enum VoteState
{
    Any = 0,

    /// <summary>No vote other than skips, and no final label.</summary>
    NoVotes = 1,

    /// <summary>Votes, no consensus (yet), no final label.</summary>
    NoConsensus = 2,

    /// <summary>A consensus and no final label.</summary>
    Consensus = 3,

    /// <summary>A reviewer's final label.</summary>
    Final = 4,
}

/// <summary>The browser's filters, sort and paging: all optional and combinable (they are AND-ed).</summary>
public sealed record BrowseFilter
{
    public static readonly IReadOnlyList<int> PageSizes = [30, 60, 120, 240];
    public const int DefaultPageSize = 60;

    /// <summary>The label the image came with.</summary>
    public int? ImportClassId { get; init; }

    /// <summary>A reviewer's final label of this class.</summary>
    public int? FinalClassId { get; init; }

    /// <summary>A reviewer's final label "rejected (bad image)".</summary>
    public bool FinalRejected { get; init; }

    public int? ConsensusClassId { get; init; }
    public VoteState State { get; init; }

    /// <summary>Has a current vote (not a skip) by this user.</summary>
    public string? LabellerId { get; init; }

    /// <summary>true: only near duplicates; false: none of them; null: both.</summary>
    public bool? NearDuplicate { get; init; }

    /// <summary>Crawled images whose origin URL has this host (case-insensitive).</summary>
    public string? Host { get; init; }

    public BrowseSort Sort { get; init; }
    public long? LikeImageId { get; init; }
    public int PageSize { get; init; } = DefaultPageSize;
    public int Page { get; init; } = 1;

    /// <summary>A page size the browser offers; anything else falls back to the default.</summary>
    public static int NormalisePageSize(int size) => PageSizes.Contains(size) ? size : DefaultPageSize;

    /// <summary>The host of a crawled image's origin URL, lower case; null when the origin is not an absolute URL.</summary>
    public static string? HostOf(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host) ? uri.Host.ToLowerInvariant() : null;
}

namespace LabelPlatform.Core.Labelling.Queue;

/// <summary>The order a dataset's labelling queue hands out images (a per-dataset setting).</summary>
public enum QueueOrder
{
    /// <summary>
    /// Random, seeded per dataset and started at a different point for each labeller; spread evenly over the import
    /// labels (never shown) so a run of images from one folder cannot happen and early labels cover every class.
    /// </summary>
    Random = 0,

    /// <summary>Images whose nearest labelled neighbours disagree most (lowest margin between the top two classes) first.</summary>
    Uncertainty = 1,

    /// <summary>Diversity sampling: k-center greedy over the embeddings, each next image the one farthest from those before it.</summary>
    Diversity = 2,
}

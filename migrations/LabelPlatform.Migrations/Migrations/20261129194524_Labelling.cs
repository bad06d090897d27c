using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Labelling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FinalLabels",
                columns: table => new
                {
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<int>(type: "INTEGER", nullable: true),
                    Rejected = table.Column<bool>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    DecidedBy = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FinalLabels", x => x.ImageId);
                    table.ForeignKey(
                        name: "FK_FinalLabels_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabelLeases",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabelLeases", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LabelLeases_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabelSubmissions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabelSubmissions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LabelSubmissions_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabellingSettings",
                columns: table => new
                {
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    Overlap = table.Column<int>(type: "INTEGER", nullable: false),
                    LeaseSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    ModelId = table.Column<int>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabellingSettings", x => x.DatasetId);
                    table.ForeignKey(
                        name: "FK_LabellingSettings_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LabellingSettings_EmbeddingModels_ModelId",
                        column: x => x.ModelId,
                        principalTable: "EmbeddingModels",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "LabelEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubmissionId = table.Column<long>(type: "INTEGER", nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<int>(type: "INTEGER", nullable: true),
                    Rejected = table.Column<bool>(type: "INTEGER", nullable: false),
                    UndoesEventId = table.Column<long>(type: "INTEGER", nullable: true),
                    SuggestedClassId = table.Column<int>(type: "INTEGER", nullable: true),
                    SuggestionConfidence = table.Column<double>(type: "REAL", nullable: true),
                    Suggestions = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabelEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LabelEvents_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LabelEvents_LabelSubmissions_SubmissionId",
                        column: x => x.SubmissionId,
                        principalTable: "LabelSubmissions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabelVotes",
                columns: table => new
                {
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<int>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabelVotes", x => new { x.ImageId, x.UserId });
                    table.ForeignKey(
                        name: "FK_LabelVotes_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LabelVotes_LabelEvents_EventId",
                        column: x => x.EventId,
                        principalTable: "LabelEvents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FinalLabels_DatasetId",
                table: "FinalLabels",
                column: "DatasetId");

            migrationBuilder.CreateIndex(
                name: "IX_LabelEvents_DatasetId_UserId_Id",
                table: "LabelEvents",
                columns: new[] { "DatasetId", "UserId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_LabelEvents_ImageId_UserId_Id",
                table: "LabelEvents",
                columns: new[] { "ImageId", "UserId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_LabelEvents_SubmissionId",
                table: "LabelEvents",
                column: "SubmissionId");

            migrationBuilder.CreateIndex(
                name: "IX_LabelEvents_UndoesEventId",
                table: "LabelEvents",
                column: "UndoesEventId");

            migrationBuilder.CreateIndex(
                name: "IX_LabelLeases_DatasetId_ExpiresAt",
                table: "LabelLeases",
                columns: new[] { "DatasetId", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_LabelLeases_ImageId_UserId",
                table: "LabelLeases",
                columns: new[] { "ImageId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LabelSubmissions_DatasetId",
                table: "LabelSubmissions",
                column: "DatasetId");

            migrationBuilder.CreateIndex(
                name: "IX_LabelSubmissions_UserId_ClientId",
                table: "LabelSubmissions",
                columns: new[] { "UserId", "ClientId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LabelVotes_DatasetId_UserId",
                table: "LabelVotes",
                columns: new[] { "DatasetId", "UserId" });

            migrationBuilder.CreateIndex(
                name: "IX_LabelVotes_EventId",
                table: "LabelVotes",
                column: "EventId");

            migrationBuilder.CreateIndex(
                name: "IX_LabellingSettings_ModelId",
                table: "LabellingSettings",
                column: "ModelId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FinalLabels");

            migrationBuilder.DropTable(
                name: "LabelLeases");

            migrationBuilder.DropTable(
                name: "LabelVotes");

            migrationBuilder.DropTable(
                name: "LabellingSettings");

            migrationBuilder.DropTable(
                name: "LabelEvents");

            migrationBuilder.DropTable(
                name: "LabelSubmissions");
        }
    }
}

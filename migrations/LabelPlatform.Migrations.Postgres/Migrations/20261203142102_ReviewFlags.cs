using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace LabelPlatform.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ReviewFlags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_EvaluationRuns_Datasets_DatasetId",
                table: "EvaluationRuns");

            migrationBuilder.DropForeignKey(
                name: "FK_EvaluationRuns_EvaluationSplits_SplitId",
                table: "EvaluationRuns");

            migrationBuilder.CreateTable(
                name: "ReviewFlags",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DatasetId = table.Column<int>(type: "integer", nullable: false),
                    ImageId = table.Column<long>(type: "bigint", nullable: false),
                    FlaggedBy = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    FlaggedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    FinalVersion = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReviewFlags", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReviewFlags_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ReviewFlags_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReviewFlags_DatasetId_FlaggedAt",
                table: "ReviewFlags",
                columns: new[] { "DatasetId", "FlaggedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ReviewFlags_ImageId",
                table: "ReviewFlags",
                column: "ImageId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReviewFlags");

            migrationBuilder.AddForeignKey(
                name: "FK_EvaluationRuns_Datasets_DatasetId",
                table: "EvaluationRuns",
                column: "DatasetId",
                principalTable: "Datasets",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_EvaluationRuns_EvaluationSplits_SplitId",
                table: "EvaluationRuns",
                column: "SplitId",
                principalTable: "EvaluationSplits",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
